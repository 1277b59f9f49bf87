//! Running a room as a person does it (issue 14): a room created in the app, a colleague
//! invited from its info panel, its topic changed in its settings and seen by the colleague's
//! own client, the colleague made a moderator from their card, and leaving it with the warning
//! that nobody else would be left to run it.

use estafette_core::room_settings::Role;
use estafette_e2e::{Key, eventually};

use super::World;

#[tokio::test(flavor = "multi_thread")]
async fn runs_a_room_from_its_info_panel_and_settings() {
    let (world, _driver, app) =
        World::open("en", "runs_a_room_from_its_info_panel_and_settings").await;
    world.sign_in(&app).await;
    let bob_id = world.server.user_id("bob");

    app.click(&app.find("button", "Start a conversation").await)
        .await;
    app.type_into(&app.find("textbox", "Room name").await, "Cellule crise")
        .await;
    app.click(&app.find("button", "Create room").await).await;
    app.find("textbox", "Message to Cellule crise").await;

    // Its info panel: bob invited from there, found by name.
    app.click(&app.find("button", "Room info").await).await;
    app.find("complementary", "Room info").await;
    app.click(&app.find("button", "Invite people").await).await;
    app.find("dialog", "Invite people to Cellule crise").await;
    let picker = app.find("combobox", "Find a person by name or ID").await;
    app.type_into(&picker, "bob").await;
    app.click(&app.find_containing("option", &bob_id).await)
        .await;
    app.click(&app.find("button", "Invite").await).await;
    app.wait_until_gone("dialog", "Invite people to Cellule crise")
        .await;
    let room_id = eventually("bob to be invited", || async {
        let rooms = world.bob.account.rooms();
        let (mut list, _controller) = rooms
            .list(
                estafette_core::room_list::RoomListQuery {
                    filter: estafette_core::room_list::RoomFilter::Invites,
                    search: None,
                },
                10,
            )
            .await
            .ok()?;
        let mut invited = Vec::new();
        for diff in list.next().await? {
            diff.apply_to(&mut invited);
        }
        invited
            .into_iter()
            .find(|room: &estafette_core::room_list::RoomSummary| room.name == "Cellule crise")
            .map(|room| room.id)
    })
    .await;
    world
        .bob
        .account
        .rooms()
        .accept_invite(&room_id)
        .await
        .expect("bob joins");

    // The topic, changed in the room's settings, reaches bob's own client.
    app.click(&app.find("button", "Settings").await).await;
    app.find("dialog", "Room settings").await;
    let topic = app.find("textbox", "Topic").await;
    app.type_into(&topic, "Point quotidien à 9 h").await;
    app.click(&app.find("button", "Save topic").await).await;
    app.find("status", "Saved").await;
    let bobs_settings = world
        .bob
        .account
        .rooms()
        .settings(&room_id)
        .expect("bob knows the room");
    eventually("bob to see the new topic", || async {
        (bobs_settings.details().await.topic.as_deref() == Some("Point quotidien à 9 h"))
            .then_some(())
    })
    .await;
    app.press(&Key::Escape.code().to_string()).await;
    app.wait_until_gone("dialog", "Room settings").await;

    // Bob, in the panel's list once he joined, made a moderator from his card, reached from
    // the keyboard: the filter, then Tab into the list.
    let filter = app.find("searchbox", "Filter people").await;
    app.type_into(&filter, "bob").await;
    app.find("status", "1 person found").await;
    app.press(&Key::Tab.code().to_string()).await;
    app.press(&Key::Enter.code().to_string()).await;
    app.find("dialog", "bob").await;
    app.find("group", "Role in Cellule crise").await;
    app.click(&app.find("radio", "Moderator").await).await;
    app.click(&app.find("button", "Change role").await).await;
    app.find("status", "Role changed.").await;
    app.press(&Key::Escape.code().to_string()).await;
    eventually("bob to be a moderator on his side", || async {
        (bobs_settings.details().await.own_role == Role::Moderator).then_some(())
    })
    .await;
    app.press(&Key::Escape.code().to_string()).await;

    // Leaving warns that she is the room's only admin.
    let room = app.find("button", "Cellule crise").await;
    app.open_menu_with_keyboard(&room).await;
    app.click(&app.find("menuitem", "Leave").await).await;
    app.find("dialog", "Leave Cellule crise?").await;
    app.wait_for_text("You are the only admin of this room")
        .await;
    app.click(&app.find("button", "Cancel").await).await;
    app.close().await;
}

/// The line under a room's name in the room list.
async fn room_line(app: &estafette_e2e::AppWindow, name: &str) -> String {
    app.execute(
        "const room = [...document.querySelectorAll('button[data-room-id]')] \
           .find(b => b.getAttribute('aria-label') === arguments[0]); \
         return room ? document.getElementById(room.getAttribute('aria-describedby')).textContent : '';",
        serde_json::json!([name]),
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn asks_to_join_a_room_and_is_let_in() {
    let (world, _driver, app) = World::open("en", "asks_to_join_a_room_and_is_let_in").await;
    let bob = &world.bob.account;
    let room_id = bob
        .rooms()
        .create_room(estafette_core::rooms::NewRoom {
            name: "Sur demande".to_owned(),
            ..estafette_core::rooms::NewRoom::default()
        })
        .await
        .expect("bob's room");
    let settings = eventually("bob's room known", || async {
        bob.rooms().settings(&room_id).ok()
    })
    .await;
    settings
        .set_access(estafette_core::room_settings::RoomAccess::AskToJoin)
        .await
        .expect("asking allowed");
    world.sign_in(&app).await;

    // Joining is refused; asking is offered, with a word for bob.
    app.click(&app.find("button", "Start a conversation").await)
        .await;
    app.type_into(&app.find("textbox", "Room address or link").await, &room_id)
        .await;
    app.click(&app.find("button", "Join").await).await;
    let message = app
        .find("textbox", "A word for the people who decide (optional)")
        .await;
    app.type_into(&message, "Je remplace Paul").await;
    app.click(&app.find("button", "Ask to join").await).await;
    app.find(
        "status",
        "Your request was sent. The room will appear in your list once you are let in.",
    )
    .await;
    app.press(&Key::Escape.code().to_string()).await;
    app.wait_until_gone("dialog", "Start a conversation").await;
    eventually("the room list to say she asked", || async {
        (room_line(&app, "Sur demande").await == "You asked to join").then_some(())
    })
    .await;

    // Bob sees her request with her word, and lets her in.
    let alice_id = world.server.user_id("alice");
    let roster = bob.rooms().roster(&room_id).expect("bob's roster");
    let mut people = roster.watch();
    let mut list = Vec::new();
    tokio::time::timeout(estafette_e2e::PATIENCE, async {
        loop {
            for diff in people.next().await.expect("people listed") {
                diff.apply_to(&mut list);
            }
            if list
                .iter()
                .any(|person: &estafette_core::roster::RoomPerson| {
                    person.user_id == alice_id
                        && person.standing == estafette_core::roster::Standing::AskingToJoin
                        && person.reason.as_deref() == Some("Je remplace Paul")
                })
            {
                break;
            }
        }
    })
    .await
    .expect("alice's request reaches bob");
    roster.accept_knock(&alice_id).await.expect("let in");

    // Her room list shows the invitation; accepted, the conversation opens.
    eventually("the request answered by an invitation", || async {
        room_line(&app, "Sur demande")
            .await
            .contains("Invited by")
            .then_some(())
    })
    .await;
    app.click(&app.find("button", "Sur demande").await).await;
    app.click(&app.find("button", "Accept").await).await;
    app.find("textbox", "Message to Sur demande").await;
    app.close().await;
}
