//! Notifications between real clients on a real Synapse, in encrypted rooms (issue 13): the
//! push rules, evaluated on the client after decryption, decide what alerts; the levels are
//! written to the server as Element reads them.

#![recursion_limit = "256"]

mod common;

use std::time::Duration;

use common::*;
use estafette_core::{
    Account, Subscription,
    notifications::{Notice, NoticeContent, NotificationLevel, RoomKind},
    sync::SyncState,
    timeline::{Mention, OutgoingMessage, RoomTimeline},
};
use estafette_testkit::Homeserver;
use serde_json::Value;

/// The next alert, failing the test if none comes.
async fn next_notice(notices: &mut Subscription<Notice>, what: &str) -> Notice {
    tokio::time::timeout(PATIENCE, notices.next())
        .await
        .unwrap_or_else(|_| panic!("no alert in time for {what}"))
        .expect("the alerts are open")
}

fn texts(notice: &Notice) -> Vec<String> {
    notice
        .messages
        .iter()
        .map(|message| match &message.content {
            NoticeContent::Text { text } => text.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// The push rules as the server holds them, read as Element reads them.
async fn server_push_rules(hs: &Homeserver, localpart: &str) -> Value {
    let session = hs.login(localpart, PASSWORD).await.expect("login");
    reqwest::Client::new()
        .get(format!("{}/_matrix/client/v3/pushrules/", hs.base_url()))
        .bearer_auth(&session.access_token)
        .send()
        .await
        .expect("push rules answered")
        .json()
        .await
        .expect("push rules are JSON")
}

fn rule<'a>(rules: &'a Value, kind: &str, rule_id: &str) -> Option<&'a Value> {
    rules["global"][kind]
        .as_array()?
        .iter()
        .find(|rule| rule["rule_id"] == rule_id)
}

fn notifies(rule: &Value) -> bool {
    rule["enabled"] != false
        && rule["actions"]
            .as_array()
            .is_some_and(|actions| actions.iter().any(|action| action == "notify"))
}

async fn up_to_date(account: &Account) {
    eventually("sync to be up to date", || async {
        (account.current_sync_state() == SyncState::UpToDate).then_some(())
    })
    .await;
}

async fn send(timeline: &RoomTimeline, text: &str) {
    timeline.send_markdown(text).await.expect("message queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_rules_decide_what_alerts_in_encrypted_rooms_and_levels_reach_the_server() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let team = room_with_invite(&bob, "Équipe", &alice).await;
    accept_invite_once_it_arrives(&alice, &team).await;
    let direct = encrypted_dm(&bob, &alice).await;
    let (bob_team, _) = open_timeline(&bob, &team).await;
    let (bob_direct, _) = open_timeline(&bob, &direct).await;
    let (alice_direct, _) = open_timeline(&alice, &direct).await;
    up_to_date(&alice).await;
    let mut notices = alice.notifications().watch();

    // The defaults, as Synapse starts them: every message alerts.
    let team_level = alice
        .notifications()
        .room_level(&team)
        .await
        .expect("level");
    assert_eq!(team_level.level, NotificationLevel::AllMessages);
    assert!(team_level.is_default);

    // A plain message in a room at "all messages": one alert, decrypted, named.
    send(&bob_team, "Bonjour à tous").await;
    let notice = next_notice(&mut notices, "a plain message").await;
    assert_eq!(notice.room_id, team);
    assert_eq!(notice.room_name, "Équipe");
    assert!(!notice.is_direct);
    assert_eq!(texts(&notice), ["Bonjour à tous"]);
    assert_eq!(notice.count, 1);
    assert!(!notice.highlight);
    assert_eq!(notice.messages[0].sender_id, bob.user_id());
    assert_eq!(notice.messages[0].sender_name, "bob");

    // Mentions and keywords only: a room rule that does not notify, as Element writes it.
    alice
        .notifications()
        .set_room_level(&team, Some(NotificationLevel::MentionsAndKeywords))
        .await
        .expect("level set");
    let level = alice
        .notifications()
        .room_level(&team)
        .await
        .expect("level");
    assert_eq!(level.level, NotificationLevel::MentionsAndKeywords);
    assert!(!level.is_default);
    let rules = server_push_rules(&hs, "alice").await;
    let room_rule = rule(&rules, "room", &team).expect("a room rule named by the room");
    assert!(!notifies(room_rule), "{room_rule}");
    assert!(rule(&rules, "override", &team).is_none());

    // A plain message there does not alert; a mention does, highlighted. (Alerts come in
    // order: the next one is the mention's.)
    send(&bob_team, "Réunion à 10 h").await;
    bob_team
        .send(OutgoingMessage {
            markdown: "@alice tu peux valider ?".to_owned(),
            mentions: vec![Mention {
                label: "@alice".to_owned(),
                user_id: alice.user_id().to_owned(),
            }],
            ..OutgoingMessage::default()
        })
        .await
        .expect("mention queued");
    let notice = next_notice(&mut notices, "a mention").await;
    assert_eq!(texts(&notice), ["@alice tu peux valider ?"]);
    assert!(notice.highlight && notice.messages[0].highlight);

    // A keyword alerts there too.
    alice
        .notifications()
        .add_keyword("  budget ")
        .await
        .expect("keyword added");
    assert_eq!(alice.notifications().keywords().await, ["budget"]);
    let rules = server_push_rules(&hs, "alice").await;
    let keyword_rule = rule(&rules, "content", "budget").expect("a content rule");
    assert_eq!(keyword_rule["pattern"], "budget");
    assert!(notifies(keyword_rule));
    send(&bob_team, "Sans rapport").await;
    send(&bob_team, "Le budget est prêt").await;
    let notice = next_notice(&mut notices, "a keyword").await;
    assert_eq!(texts(&notice), ["Le budget est prêt"]);

    // Mute: an override rule that does nothing, and the room rule gone. Not even a mention
    // alerts; the next alert is the direct conversation's. One's own messages never alert.
    alice
        .notifications()
        .set_room_level(&team, Some(NotificationLevel::Mute))
        .await
        .expect("muted");
    let rules = server_push_rules(&hs, "alice").await;
    let mute_rule = rule(&rules, "override", &team).expect("an override rule");
    assert!(!notifies(mute_rule), "{mute_rule}");
    assert_eq!(mute_rule["conditions"][0]["key"], "room_id");
    assert_eq!(mute_rule["conditions"][0]["pattern"], team.as_str());
    assert!(rule(&rules, "room", &team).is_none());
    bob_team
        .send(OutgoingMessage {
            markdown: "@alice urgent".to_owned(),
            mentions: vec![Mention {
                label: "@alice".to_owned(),
                user_id: alice.user_id().to_owned(),
            }],
            ..OutgoingMessage::default()
        })
        .await
        .expect("mention queued");
    send(&alice_direct, "Je suis là").await;
    send(&bob_direct, "Tu as vu ?").await;
    let notice = next_notice(&mut notices, "the direct message").await;
    assert_eq!(notice.room_id, direct);
    assert!(notice.is_direct);
    assert_eq!(texts(&notice), ["Tu as vu ?"]);
    assert_eq!(notice.room_name, "bob");

    // Back to the default: the room's rules are gone.
    alice
        .notifications()
        .set_room_level(&team, None)
        .await
        .expect("default again");
    assert!(
        alice
            .notifications()
            .room_level(&team)
            .await
            .expect("level")
            .is_default
    );
    let rules = server_push_rules(&hs, "alice").await;
    assert!(rule(&rules, "override", &team).is_none() && rule(&rules, "room", &team).is_none());

    // The default for group rooms, written for encrypted and plain rooms alike.
    alice
        .notifications()
        .set_default(RoomKind::Group, NotificationLevel::MentionsAndKeywords)
        .await
        .expect("default set");
    // The account's copy of the rules follows the server's: a copy synced before the change
    // may still arrive after it, and the next one brings the change.
    eventually("the new default read back", || async {
        let defaults = alice.notifications().defaults().await;
        (defaults.group == NotificationLevel::MentionsAndKeywords
            && defaults.direct == NotificationLevel::AllMessages)
            .then_some(())
    })
    .await;
    let rules = server_push_rules(&hs, "alice").await;
    for rule_id in [".m.rule.encrypted", ".m.rule.message"] {
        let default = rule(&rules, "underride", rule_id).expect("the predefined rule");
        assert!(!notifies(default), "{default}");
    }
    assert!(notifies(
        rule(&rules, "underride", ".m.rule.encrypted_room_one_to_one").expect("the rule")
    ));
    assert!(matches!(
        alice
            .notifications()
            .set_default(RoomKind::Direct, NotificationLevel::Mute)
            .await,
        Err(estafette_core::notifications::NotificationsError::InvalidDefault)
    ));
    assert!(
        alice.notifications().add_keyword("   ").await.is_err(),
        "an empty keyword is refused"
    );
    assert!(
        alice
            .notifications()
            .set_room_level("pas une salle", None)
            .await
            .is_err()
    );

    // Nothing else alerted meanwhile (the muted mention above, say).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(notices.try_next(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_alerts_twice_and_what_another_device_read_does_not_alert() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let direct = encrypted_dm(&bob, &alice).await;
    let (bob_direct, _) = open_timeline(&bob, &direct).await;
    up_to_date(&alice).await;
    let mut notices = alice.notifications().watch();
    // The invitation alerted (nobody was listening yet); its room's window ends first.
    tokio::time::sleep(Duration::from_secs(4)).await;

    // Twenty messages at once: the first alerts at once, the rest together a moment later.
    for i in 1..=20 {
        send(&bob_direct, &format!("message {i}")).await;
    }
    let mut alerted = Vec::new();
    let mut alerts = 0;
    while alerted.len() < 20 {
        let notice = next_notice(&mut notices, "the burst").await;
        alerts += 1;
        eprintln!("alert of {} messages: {:?}", notice.count, texts(&notice));
        assert!(notice.messages.len() <= 5);
        alerted.extend(
            (0..notice.count as usize - notice.messages.len()).map(|_| String::from("(counted)")),
        );
        alerted.extend(texts(&notice));
    }
    assert_eq!(alerted.len(), 20, "each message once: {alerted:?}");
    assert_eq!(alerted.first().map(String::as_str), Some("message 1"));
    assert_eq!(alerted.last().map(String::as_str), Some("message 20"));
    assert!(alerts <= 4, "{alerts} alerts for one burst");

    // Alice reads on her other device what arrives while the window is open: it does not
    // alert on this one.
    let alice_laptop = Device::new();
    let alice_elsewhere = alice_laptop.sign_in(&hs, "alice").await;
    let (elsewhere_timeline, mut elsewhere_view) = open_timeline(&alice_elsewhere, &direct).await;
    up_to_date(&alice_elsewhere).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    send(&bob_direct, "premier").await;
    let notice = next_notice(&mut notices, "the first message after a pause").await;
    assert_eq!(texts(&notice), ["premier"]);
    send(&bob_direct, "lu ailleurs").await;
    elsewhere_view
        .until("the other device to read the message", |items| {
            bodies(items).iter().any(|body| body == "lu ailleurs")
        })
        .await;
    elsewhere_timeline
        .send_read_receipt()
        .await
        .expect("read on the other device");
    tokio::time::sleep(Duration::from_secs(4)).await;
    send(&bob_direct, "après").await;
    let notice = next_notice(&mut notices, "the next message").await;
    assert_eq!(
        texts(&notice),
        ["après"],
        "what was read elsewhere did not alert"
    );
}
