//! bob and charlie, real Estafette core clients kept running by the demo: they invite alice to
//! an encrypted direct conversation and an encrypted team room, greet her once she joins, and
//! bob answers what she writes. A newcomer sees end-to-end encryption work with a real second
//! party; their messages are encrypted for alice's device by the same code the app runs.

use std::{collections::HashSet, path::Path, sync::Arc};

use estafette_core::{
    Account, AccountManager, CoreConfig, ListDiff, SignIn, Zeroizing,
    rooms::NewRoom,
    timeline::{EventContent, MembershipKind, StateChange, TimelineItem, TimelineItemKind},
};
use estafette_testkit::Homeserver;

use crate::{DemoError, PASSWORD};

const ROOMS_FILE: &str = "encrypted-rooms.json";
pub const TEAM_ROOM: &str = "Équipe Estafette";

/// The two clients and the rooms they share with alice.
pub struct Companions {
    manager: AccountManager,
    bob: Arc<Account>,
    charlie: Arc<Account>,
    direct_room: String,
    team_room: String,
}

impl Companions {
    /// Restores bob and charlie (or signs them in the first time) and creates their rooms.
    pub async fn start(hs: &Homeserver, dir: &Path) -> Result<Self, DemoError> {
        estafette_core::secrets::use_platform_keychain()?;
        let manager = AccountManager::new(CoreConfig {
            data_dir: dir.join("companions"),
            keychain_service: format!("estafette-demo-companions-{}", hs.port()),
            device_display_name: "Estafette demo companion".to_owned(),
        });
        let restored = manager.restore_all().await?;
        let mut accounts = restored.into_iter().filter_map(|(_, account)| account.ok());
        let (bob, charlie) = match (accounts.next(), accounts.next()) {
            (Some(first), Some(second)) if first.user_id() == hs.user_id("bob") => (first, second),
            (Some(first), Some(second)) => (second, first),
            _ => (
                sign_in(&manager, hs, "bob").await?,
                sign_in(&manager, hs, "charlie").await?,
            ),
        };
        let rooms_file = dir.join(ROOMS_FILE);
        let (direct_room, team_room) = match std::fs::read_to_string(&rooms_file)
            .ok()
            .and_then(|text| serde_json::from_str::<(String, String)>(&text).ok())
        {
            Some(rooms) => rooms,
            None => {
                let rooms = create_rooms(hs, &bob, &charlie).await?;
                let text = serde_json::to_string(&rooms).unwrap_or_default();
                std::fs::write(&rooms_file, text).map_err(|source| DemoError::Io {
                    context: format!("writing {}", rooms_file.display()),
                    source,
                })?;
                rooms
            }
        };
        Ok(Self {
            manager,
            bob,
            charlie,
            direct_room,
            team_room,
        })
    }

    /// Talks with alice until the demo stops.
    pub async fn converse(&self, alice: String) {
        let direct = talk(
            self.bob.clone(),
            self.direct_room.clone(),
            alice.clone(),
            &[
                "Bonjour Alice ! Bienvenue sur **Estafette**.",
                "Cette conversation est *chiffrée de bout en bout* : le serveur ne voit que des données chiffrées.",
                "Écrivez-moi quelque chose, je réponds.",
            ],
            true,
        );
        let team = talk(
            self.charlie.clone(),
            self.team_room.clone(),
            alice,
            &["Bienvenue dans l'équipe, Alice ! Le point hebdomadaire est jeudi à 10 h."],
            false,
        );
        tokio::join!(direct, team);
    }

    pub async fn shut_down(&self) {
        self.manager.shut_down().await;
    }
}

async fn sign_in(
    manager: &AccountManager,
    hs: &Homeserver,
    localpart: &str,
) -> Result<Arc<Account>, DemoError> {
    Ok(manager
        .sign_in(SignIn {
            homeserver: Some(hs.base_url()),
            username: localpart.to_owned(),
            password: Zeroizing::new(PASSWORD.to_owned()),
        })
        .await?)
}

async fn create_rooms(
    hs: &Homeserver,
    bob: &Account,
    charlie: &Account,
) -> Result<(String, String), DemoError> {
    let direct = bob.rooms().create_dm(&hs.user_id("alice")).await?;
    let team = charlie
        .rooms()
        .create_room(NewRoom {
            name: TEAM_ROOM.to_owned(),
            topic: Some("Coordination de l'équipe".to_owned()),
            encrypted: true,
            invite: vec![hs.user_id("alice"), hs.user_id("bob")],
        })
        .await?;
    // bob learns of the invitation through sync.
    for _ in 0..100 {
        if bob.rooms().accept_invite(&team).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Ok((direct, team))
}

/// Greets `alice` when she joins `room_id` (her device then exists, so she can decrypt it),
/// and, if `answers`, acknowledges each message she writes.
async fn talk(
    account: Arc<Account>,
    room_id: String,
    alice: String,
    greeting: &[&str],
    answers: bool,
) {
    let timeline = loop {
        match account.timeline(&room_id).await {
            Ok(timeline) => break timeline,
            Err(_) => tokio::time::sleep(std::time::Duration::from_secs(1)).await,
        }
    };
    let mut updates = timeline.subscribe();
    let mut items: Vec<TimelineItem> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut first = true;
    while let Some(batch) = updates.next().await {
        for diff in batch {
            let _ = ListDiff::apply_to(diff, &mut items);
        }
        for item in &items {
            let TimelineItemKind::Event(event) = &item.kind else {
                continue;
            };
            let Some(event_id) = &event.event_id else {
                continue;
            };
            if !seen.insert(event_id.clone()) || first {
                continue;
            }
            match &event.content {
                EventContent::StateChange(StateChange::Membership { user, membership })
                    if user.user_id == alice
                        && matches!(
                            membership,
                            MembershipKind::Joined | MembershipKind::InvitationAccepted
                        ) =>
                {
                    // Encrypted for her devices only once this client has learnt of them.
                    for _ in 0..60 {
                        if account
                            .devices()
                            .of_user(&alice)
                            .await
                            .is_ok_and(|devices| !devices.is_empty())
                        {
                            break;
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                    for line in greeting {
                        let _ = timeline.send_markdown(line).await;
                    }
                }
                EventContent::Text { body, .. } if answers && event.sender.user_id == alice => {
                    let _ = timeline
                        .send_markdown(&format!("Bien reçu : « {body} »"))
                        .await;
                }
                _ => {}
            }
        }
        first = false;
    }
}
