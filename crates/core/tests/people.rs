//! People and rooms between real clients on a real Synapse (issue 14): finding a colleague by
//! name, inviting into an existing room, leaving and forgetting, favourites shared between
//! devices, the public room directory, and ignoring someone.

#![recursion_limit = "256"]

mod common;

use common::*;
use estafette_core::{
    Code,
    room_list::{Membership, RoomFilter, RoomListQuery},
    rooms::{NewRoom, RoomError},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_colleague_is_found_by_name_and_an_existing_conversation_is_offered() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_jean_device, jean) = new_user(&hs, "j.dupont").await;
    jean.profile()
        .set_display_name("Jean Dupont (Intérieur)")
        .await
        .expect("name set");

    // Part of the name is enough; nobody shares a room yet (the server searches everyone).
    let found = eventually("jean in the directory", || async {
        let directory = alice.people().search("dupont").await.ok()?;
        directory
            .people
            .into_iter()
            .find(|person| person.user_id == jean.user_id())
    })
    .await;
    assert_eq!(
        found.display_name.as_deref(),
        Some("Jean Dupont (Intérieur)")
    );
    assert_eq!(found.direct_room_id, None);

    // Once they talk, choosing him opens their conversation rather than a new one.
    // (The room is known as a conversation with him once the account data marking it direct
    // has come back by sync: a moment after it is created.)
    let dm = encrypted_dm(&alice, &jean).await;
    eventually("their conversation to be offered", || async {
        let again = alice.people().search("Jean").await.ok()?;
        let jean_found = again
            .people
            .into_iter()
            .find(|person| person.user_id == jean.user_id())?;
        (jean_found.direct_room_id.as_deref() == Some(dm.as_str())).then_some(())
    })
    .await;

    // A full ID is offered even when the directory does not list it; oneself never is; a
    // blank search asks nothing.
    let by_id = alice
        .people()
        .search(&hs.user_id("nobody-here"))
        .await
        .expect("searched");
    assert_eq!(by_id.people[0].user_id, hs.user_id("nobody-here"));
    let me = alice.people().search("alice").await.expect("searched");
    assert!(
        me.people
            .iter()
            .all(|person| person.user_id != alice.user_id())
    );
    assert!(
        alice
            .people()
            .search("   ")
            .await
            .expect("nothing")
            .people
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_are_invited_into_a_room_that_exists_and_it_is_left_then_forgotten() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let (_carol_device, carol) = new_user(&hs, "carol").await;
    let room_id = alice
        .rooms()
        .create_room(NewRoom {
            name: "Groupe de travail".to_owned(),
            ..NewRoom::default()
        })
        .await
        .expect("room created");

    // Two people and a bad ID at once: the two are invited, the bad one said why.
    let refused = alice
        .rooms()
        .invite_many(
            &room_id,
            &[
                bob.user_id().to_owned(),
                "not an id".to_owned(),
                carol.user_id().to_owned(),
            ],
        )
        .await
        .expect("invited");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].user_id, "not an id");
    assert_eq!(refused[0].code, Code::RoomInvalidUserId);
    accept_invite_once_it_arrives(&bob, &room_id).await;
    accept_invite_once_it_arrives(&carol, &room_id).await;
    eventually("alice to see both join", || async {
        let members = alice.rooms().members(&room_id).await.ok()?;
        let joined = members.iter().filter(|member| member.joined).count();
        (joined == 3).then_some(())
    })
    .await;

    // bob leaves, then forgets: the room is gone from his lists.
    bob.rooms().leave(&room_id).await.expect("left");
    eventually("alice to see bob leave", || async {
        let members = alice.rooms().members(&room_id).await.ok()?;
        (!members.iter().any(|member| member.user_id == bob.user_id())).then_some(())
    })
    .await;
    eventually("bob's room to be left", || async {
        let summary = bob.rooms().summary(&room_id).await?;
        (summary.membership == Membership::Left).then_some(())
    })
    .await;
    bob.rooms().forget(&room_id).await.expect("forgotten");
    let mut bobs_rooms = room_list(&bob, RoomListQuery::default()).await;
    bobs_rooms
        .until("the forgotten room gone", |rooms| {
            rooms.iter().all(|room| room.id != room_id)
        })
        .await;

    // A room that is not there, or a person not allowed to invite: a clear error.
    assert!(matches!(
        alice.rooms().invite_many("!nowhere:example.org", &[]).await,
        Err(RoomError::RoomNotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_favourite_and_an_unread_mark_are_seen_by_another_device_and_public_rooms_are_joined() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let team = room_with_invite(&bob, "Équipe", &alice).await;
    accept_invite_once_it_arrives(&alice, &team).await;

    // A favourite on one device is one on the other, in the favourites' list.
    alice
        .rooms()
        .set_favourite(&team, true)
        .await
        .expect("marked favourite");
    let other = Device::new();
    let alice_elsewhere = other.sign_in(&hs, "alice").await;
    let mut favourites = room_list(
        &alice_elsewhere,
        RoomListQuery {
            filter: RoomFilter::Favourites,
            search: None,
        },
    )
    .await;
    favourites
        .until("the favourite on the other device", |rooms| {
            rooms
                .iter()
                .any(|room| room.id == team && room.is_favourite)
        })
        .await;
    // Low priority takes the favourite's place.
    alice
        .rooms()
        .set_low_priority(&team, true)
        .await
        .expect("marked low priority");
    favourites
        .until("no favourite left", |rooms| rooms.is_empty())
        .await;

    // Marked unread here, seen so there; read, and the mark is gone.
    alice
        .rooms()
        .mark_as_unread(&team)
        .await
        .expect("marked unread");
    eventually("the mark on the other device", || async {
        let summary = alice_elsewhere.rooms().summary(&team).await?;
        summary.is_marked_unread.then_some(())
    })
    .await;
    alice_elsewhere
        .rooms()
        .mark_as_read(&team)
        .await
        .expect("marked read");
    eventually("the mark gone here", || async {
        let summary = alice.rooms().summary(&team).await?;
        (!summary.is_marked_unread).then_some(())
    })
    .await;

    // bob publishes a room; alice finds it by a word of its topic and joins it.
    let session = hs.login("bob", PASSWORD).await.expect("bob's session");
    let public = hs
        .create_public_room(
            &session,
            "Annonces du ministère",
            "Circulaires et notes de service",
        )
        .await
        .expect("public room");
    let found = eventually("the public room in the directory", || async {
        let rooms = alice.rooms().public_rooms("circulaires").await.ok()?;
        rooms.into_iter().find(|room| room.room_id == public)
    })
    .await;
    assert_eq!(found.name.as_deref(), Some("Annonces du ministère"));
    assert!(!found.joined);
    let joined = alice
        .rooms()
        .join(&found.room_id, &[])
        .await
        .expect("joined");
    assert_eq!(joined, public);
    let again = alice.rooms().public_rooms("").await.expect("listed");
    assert!(
        again
            .iter()
            .any(|room| room.room_id == public && room.joined)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_ignored_is_listed_on_every_device_until_unignored() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_mallory_device, mallory) = new_user(&hs, "mallory").await;
    alice
        .people()
        .ignore(mallory.user_id())
        .await
        .expect("ignored");
    eventually("the ignore list to come back from sync", || async {
        alice
            .people()
            .ignored()
            .await
            .contains(&mallory.user_id().to_owned())
            .then_some(())
    })
    .await;
    let other = Device::new();
    let alice_elsewhere = other.sign_in(&hs, "alice").await;
    eventually("the other device to know", || async {
        alice_elsewhere
            .people()
            .ignored()
            .await
            .contains(&mallory.user_id().to_owned())
            .then_some(())
    })
    .await;
    alice
        .people()
        .unignore(mallory.user_id())
        .await
        .expect("unignored");
    eventually("the ignore list emptied", || async {
        alice.people().ignored().await.is_empty().then_some(())
    })
    .await;
    assert!(matches!(
        alice.people().ignore("mallory").await,
        Err(RoomError::InvalidUserId(_))
    ));
}
