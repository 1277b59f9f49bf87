//! Running a room between real clients on a real Synapse (issue 14): its settings changed by
//! an admin and seen by members, refused to those without the power; roles, removals and bans
//! with their reasons; people asking to join, let in or turned away; the warning before
//! leaving.

#![recursion_limit = "256"]

mod common;

use common::*;
use estafette_core::{
    room_list::Membership,
    room_settings::{HistoryReaders, Role, RoomAccess, RoomDetails},
    rooms::{NewRoom, RoomError},
    roster::{LeaveWarning, RoomPerson, Standing},
};

/// Waits until `account`'s details of `room_id` satisfy `condition`.
async fn details_until(
    account: &estafette_core::Account,
    room_id: &str,
    what: &str,
    condition: impl Fn(&RoomDetails) -> bool,
) -> RoomDetails {
    let settings = eventually("the room known", || async {
        account.rooms().settings(room_id).ok()
    })
    .await;
    let mut watch = settings.watch();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let details = tokio::time::timeout_at(deadline, watch.next())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("watch open");
        if condition(&details) {
            return details;
        }
    }
}

fn person<'a>(people: &'a [RoomPerson], user_id: &str) -> Option<&'a RoomPerson> {
    people.iter().find(|person| person.user_id == user_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_changes_the_settings_members_see_them_and_a_member_may_not() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = alice
        .rooms()
        .create_room(NewRoom {
            name: "Groupe de travail".to_owned(),
            encrypted: false,
            invite: vec![bob.user_id().to_owned()],
            ..NewRoom::default()
        })
        .await
        .expect("room created");
    accept_invite_once_it_arrives(&bob, &room_id).await;

    let settings = alice.rooms().settings(&room_id).expect("known");
    let before = settings.details().await;
    assert_eq!(before.own_role, Role::Admin);
    assert!(before.may.change_topic && before.may.enable_encryption && before.may.ban);
    assert_eq!(before.access, RoomAccess::InviteOnly);
    assert!(!before.is_encrypted);

    settings
        .set_name("Préfecture — cellule crise")
        .await
        .expect("renamed");
    settings
        .set_topic("Point quotidien à 9 h")
        .await
        .expect("topic set");
    settings
        .set_history(HistoryReaders::SinceJoined)
        .await
        .expect("history set");
    settings.enable_encryption().await.expect("encrypted");
    // A picture becomes the avatar; garbage is refused and changes nothing.
    let mut png = Vec::new();
    image::DynamicImage::new_rgb8(640, 480)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encoded");
    settings.set_avatar(png).await.expect("avatar set");
    assert!(matches!(
        settings.set_avatar(b"not a picture".to_vec()).await,
        Err(RoomError::NotAPicture)
    ));
    assert!(matches!(
        settings.set_name(&"x".repeat(300)).await,
        Err(RoomError::TextTooLong(255))
    ));

    let seen = details_until(&bob, &room_id, "bob to see the new settings", |details| {
        details.name.as_deref() == Some("Préfecture — cellule crise")
            && details.topic.as_deref() == Some("Point quotidien à 9 h")
            && details.history == HistoryReaders::SinceJoined
            && details.is_encrypted
            && details.avatar_url.is_some()
    })
    .await;
    assert_eq!(seen.own_role, Role::Member);
    assert!(!seen.may.change_topic && !seen.may.kick && !seen.may.enable_encryption);

    // Bob has no power here: the server refuses, and nothing changes.
    let bobs = bob.rooms().settings(&room_id).expect("known");
    assert!(matches!(
        bobs.set_topic("Renommé par bob").await,
        Err(RoomError::Forbidden(_))
    ));
    assert_eq!(
        settings.details().await.topic.as_deref(),
        Some("Point quotidien à 9 h")
    );

    // Open to anyone and listed: found in the directory; back to invite only: gone from it.
    settings
        .set_access(RoomAccess::AnyoneWithLink)
        .await
        .expect("opened");
    settings
        .set_listed_in_directory(true)
        .await
        .expect("listed");
    assert!(settings.is_listed_in_directory().await.expect("asked"));
    eventually("the room in the directory", || async {
        let rooms = bob.rooms().public_rooms("cellule").await.ok()?;
        rooms
            .iter()
            .any(|room| room.room_id == room_id)
            .then_some(())
    })
    .await;
    settings
        .set_access(RoomAccess::InviteOnly)
        .await
        .expect("closed");
    assert!(!settings.is_listed_in_directory().await.expect("asked"));
    assert!(matches!(
        settings.set_listed_in_directory(true).await,
        Err(RoomError::NotOpenToAnyone)
    ));
    details_until(&bob, &room_id, "bob to see it closed", |details| {
        details.access == RoomAccess::InviteOnly
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_given_is_seen_by_the_other_side_and_removals_and_bans_carry_their_reason() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let (_carol_device, carol) = new_user(&hs, "carol").await;
    let (_dan_device, dan) = new_user(&hs, "dan").await;
    let room_id = alice
        .rooms()
        .create_room(NewRoom {
            name: "Équipe".to_owned(),
            invite: vec![
                bob.user_id().to_owned(),
                carol.user_id().to_owned(),
                dan.user_id().to_owned(),
            ],
            ..NewRoom::default()
        })
        .await
        .expect("room created");
    for invitee in [&bob, &carol, &dan] {
        accept_invite_once_it_arrives(invitee, &room_id).await;
    }

    // Alice's list: herself an admin first, then the others as members.
    let roster = alice.rooms().roster(&room_id).expect("known");
    let mut people = LiveList::new(roster.watch());
    people
        .until("everyone joined in alice's list", |people| {
            people
                .iter()
                .filter(|person| person.standing == Standing::Joined)
                .count()
                == 4
        })
        .await;
    assert_eq!(people.items[0].user_id, alice.user_id());
    assert_eq!(people.items[0].role, Role::Admin);

    // Bob made a moderator: he sees his new powers.
    roster
        .set_role(bob.user_id(), Role::Moderator)
        .await
        .expect("role given");
    let bobs_view = details_until(&bob, &room_id, "bob to be a moderator", |details| {
        details.own_role == Role::Moderator
    })
    .await;
    assert!(bobs_view.may.kick && bobs_view.may.ban && !bobs_view.may.change_roles);
    people
        .until("bob a moderator in alice's list", |people| {
            person(people, bob.user_id()).is_some_and(|bob| bob.role == Role::Moderator)
        })
        .await;

    // Bob, as moderator, removes carol; alice bans dan with a reason that stays on the list.
    let bobs_roster = bob.rooms().roster(&room_id).expect("known");
    bobs_roster
        .remove(carol.user_id(), Some("Mission terminée"))
        .await
        .expect("removed");
    roster
        .ban(dan.user_id(), Some("Messages indésirables"))
        .await
        .expect("banned");
    let mut bobs_people = LiveList::new(bobs_roster.watch());
    bobs_people
        .until("carol gone and dan banned in bob's list", |people| {
            person(people, carol.user_id()).is_none()
                && person(people, dan.user_id()).is_some_and(|dan| {
                    dan.standing == Standing::Banned
                        && dan.reason.as_deref() == Some("Messages indésirables")
                })
        })
        .await;
    eventually("carol to see she was removed", || async {
        let summary = carol.rooms().summary(&room_id).await?;
        (summary.membership == Membership::Left).then_some(())
    })
    .await;
    eventually("dan to see he was banned", || async {
        let summary = dan.rooms().summary(&room_id).await?;
        (summary.membership == Membership::Banned).then_some(())
    })
    .await;
    // Banned, he cannot come back; unbanned and invited, he can.
    assert!(
        dan.rooms()
            .join(&room_id, &[hs.server_name()])
            .await
            .is_err()
    );
    roster.unban(dan.user_id()).await.expect("unbanned");
    people
        .until("dan no longer listed once unbanned", |people| {
            person(people, dan.user_id()).is_none()
        })
        .await;

    // A moderator cannot make himself an admin, nor remove the admin.
    assert!(matches!(
        bobs_roster.set_role(bob.user_id(), Role::Admin).await,
        Err(RoomError::Forbidden(_))
    ));
    assert!(matches!(
        bobs_roster.remove(alice.user_id(), None).await,
        Err(RoomError::Forbidden(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_asks_to_join_and_is_let_in_another_is_turned_away() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_eve_device, eve) = new_user(&hs, "eve").await;
    let (_frank_device, frank) = new_user(&hs, "frank").await;
    let room_id = alice
        .rooms()
        .create_room(NewRoom {
            name: "Sur demande".to_owned(),
            ..NewRoom::default()
        })
        .await
        .expect("room created");
    let settings = alice.rooms().settings(&room_id).expect("known");
    settings
        .set_access(RoomAccess::AskToJoin)
        .await
        .expect("knocking allowed");

    let knocked = eve
        .rooms()
        .knock(&room_id, Some("Je remplace Paul"), &[hs.server_name()])
        .await
        .expect("asked");
    assert_eq!(knocked, room_id);
    frank
        .rooms()
        .knock(&room_id, None, &[hs.server_name()])
        .await
        .expect("asked");

    let roster = alice.rooms().roster(&room_id).expect("known");
    let mut people = LiveList::new(roster.watch());
    people
        .until("both asking, first in the list", |people| {
            people.len() == 3
                && people[..2]
                    .iter()
                    .all(|person| person.standing == Standing::AskingToJoin)
                && person(people, eve.user_id())
                    .is_some_and(|eve| eve.reason.as_deref() == Some("Je remplace Paul"))
        })
        .await;

    roster.accept_knock(eve.user_id()).await.expect("let in");
    roster
        .refuse_knock(frank.user_id(), Some("Réservé à l'équipe"))
        .await
        .expect("turned away");
    accept_invite_once_it_arrives(&eve, &room_id).await;
    people
        .until("eve joined and frank gone", |people| {
            person(people, eve.user_id()).is_some_and(|eve| eve.standing == Standing::Joined)
                && person(people, frank.user_id()).is_none()
        })
        .await;
    eventually("frank to see he was turned away", || async {
        let summary = frank.rooms().summary(&room_id).await?;
        (summary.membership == Membership::Left).then_some(())
    })
    .await;

    // A room that does not let people ask: the server says no.
    let closed = alice
        .rooms()
        .create_room(NewRoom {
            name: "Fermé".to_owned(),
            ..NewRoom::default()
        })
        .await
        .expect("room created");
    assert!(matches!(
        frank
            .rooms()
            .knock(&closed, None, &[hs.server_name()])
            .await,
        Err(RoomError::Forbidden(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_warns_the_last_person_and_the_last_admin() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = alice
        .rooms()
        .create_room(NewRoom {
            name: "Seule".to_owned(),
            ..NewRoom::default()
        })
        .await
        .expect("room created");
    eventually("the room known", || async {
        alice.rooms().settings(&room_id).ok()
    })
    .await;
    assert_eq!(
        alice.rooms().leave_warning(&room_id).await.expect("read"),
        LeaveWarning::LastPerson
    );
    // Alone in a room anyone may join: she can come back, nothing to warn of.
    let open = alice
        .rooms()
        .create_room(NewRoom {
            name: "Ouverte".to_owned(),
            ..NewRoom::default()
        })
        .await
        .expect("room created");
    eventually("the open room known", || async {
        alice.rooms().settings(&open).ok()
    })
    .await
    .set_access(RoomAccess::AnyoneWithLink)
    .await
    .expect("opened");
    assert_eq!(
        alice.rooms().leave_warning(&open).await.expect("read"),
        LeaveWarning::None
    );

    alice
        .rooms()
        .invite(&room_id, bob.user_id())
        .await
        .expect("invited");
    accept_invite_once_it_arrives(&bob, &room_id).await;
    eventually("alice the last admin with bob in", || async {
        (alice.rooms().leave_warning(&room_id).await.ok()? == LeaveWarning::LastAdmin).then_some(())
    })
    .await;
    assert_eq!(
        bob.rooms().leave_warning(&room_id).await.expect("read"),
        LeaveWarning::InviteNeeded
    );

    alice
        .rooms()
        .roster(&room_id)
        .expect("known")
        .set_role(bob.user_id(), Role::Admin)
        .await
        .expect("bob an admin");
    eventually("alice no longer the last admin", || async {
        (alice.rooms().leave_warning(&room_id).await.ok()? == LeaveWarning::InviteNeeded)
            .then_some(())
    })
    .await;
}
