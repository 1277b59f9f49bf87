//! Desktop notifications as a person meets them, through a real notification service (dunst):
//! one for a message, none for the conversation being read, none for a muted room, one for a
//! mention in a room set to mentions only, and a click that opens the room.

use estafette_core::timeline::{Mention, OutgoingMessage};
use estafette_e2e::{NotificationService, ShownNotification};

use super::World;

fn shown(summary: &str, body: &str) -> ShownNotification {
    ShownNotification {
        summary: summary.to_owned(),
        body: body.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn notifies_once_never_for_the_room_read_or_muted_and_a_click_opens_the_room() {
    let world = World::new("en").await;
    let service = NotificationService::start(&world.display);
    let driver = world.driver();
    let app = driver
        .launch("notifies_once_never_for_the_room_read_or_muted_and_a_click_opens_the_room")
        .await;
    world.sign_in(&app).await;
    let alice = world.server.user_id("alice");

    // alice joins both of bob's rooms and stays in the group room.
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    app.find("textbox", "Message to bob").await;
    app.click(&app.find("button", "Équipe projet").await).await;
    app.click(&app.find("button", "Accept").await).await;
    let team_composer = app.find("textbox", "Message to Équipe projet").await;
    app.click(&team_composer).await;

    // A message in the room being read does not notify; one in the other room does, once.
    let team = world.team_id.clone();
    world.bob.wait_for_member(&team, &alice).await;
    world.bob.wait_for_device_of(&alice).await;
    world
        .bob
        .timeline(&team)
        .await
        .send_markdown("Dans le salon ouvert")
        .await
        .expect("bob writes in the team room");
    app.wait_for_text("Dans le salon ouvert").await;
    world.bob_says("Premier message").await;
    service.wait_displayed(1).await;

    // A click on it brings the conversation with bob.
    service.click_newest();
    app.find("textbox", "Message to bob").await;
    assert_eq!(
        service.all_shown(),
        [shown("bob", "Premier message")],
        "one notification, for the room not being read"
    );

    // Muted: nothing. Mentions and keywords: a plain message nothing, a mention one.
    set_room_level(&app, "Équipe projet", "Mute").await;
    app.click(&app.find("button", "bob").await).await;
    app.find("textbox", "Message to bob").await;
    let bob_team = world.bob.timeline(&team).await;
    bob_team
        .send_markdown("Salon en sourdine")
        .await
        .expect("bob writes");
    // Arrived (the room list's preview shows it) while the conversation with bob is open.
    app.wait_for_text("Salon en sourdine").await;
    set_room_level(&app, "Équipe projet", "Mentions and keywords").await;
    app.click(&app.find("button", "bob").await).await;
    app.find("textbox", "Message to bob").await;
    bob_team
        .send_markdown("Juste pour info")
        .await
        .expect("bob writes");
    // The service's history leaves out a notification replaced by the room's next one: check
    // that nothing is on screen for the plain message before the mention comes.
    app.wait_for_text("Juste pour info").await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        service.displayed(),
        0,
        "no notification for the muted room or the plain message"
    );
    bob_team
        .send(OutgoingMessage {
            markdown: "@alice tu peux valider ?".to_owned(),
            mentions: vec![Mention {
                label: "@alice".to_owned(),
                user_id: alice.clone(),
            }],
            ..OutgoingMessage::default()
        })
        .await
        .expect("bob mentions alice");
    service.wait_displayed(1).await;
    assert_eq!(
        service.all_shown(),
        [
            shown("bob", "Premier message"),
            shown("bob in Équipe projet", "@alice tu peux valider ?"),
        ],
        "nothing for the muted room or the plain message, one for the mention"
    );
    app.close().await;
}

/// Opens `room` and chooses `level` in its header's notification menu.
async fn set_room_level(app: &estafette_e2e::AppWindow, room: &str, level: &str) {
    app.click(&app.find("button", room).await).await;
    app.find("heading", room).await;
    let bell = app.find_containing("button", "Notifications:").await;
    app.click(&bell).await;
    app.click(&app.find("menuitemradio", level).await).await;
    app.find_containing("button", &format!("Notifications: {level}"))
        .await;
}
