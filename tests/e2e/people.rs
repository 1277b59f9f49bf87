//! People and rooms as a person meets them (issue 14): a conversation started by typing part
//! of a colleague's name, a second person invited into a room from its info panel, someone ignored
//! from their card, and leaving a room from the room list's menu.

use estafette_core::room_list::{Membership, RoomFilter, RoomListQuery, RoomSummary};
use estafette_e2e::{Key, Party, eventually};

use super::World;

#[tokio::test(flavor = "multi_thread")]
async fn finds_a_colleague_by_name_invites_into_a_room_ignores_and_leaves_it() {
    let (world, _driver, app) = World::open(
        "en",
        "finds_a_colleague_by_name_invites_into_a_room_ignores_and_leaves_it",
    )
    .await;
    let carol = Party::new(&world.server, "carol").await;
    carol
        .account
        .profile()
        .set_display_name("Carole Martin")
        .await
        .expect("carol's name");
    let carol_id = world.server.user_id("carol");
    world.sign_in(&app).await;

    // A conversation with carol from part of her name: no Matrix ID typed.
    app.click(&app.find("button", "Start a conversation").await)
        .await;
    let find = app.find("combobox", "Find a person by name or ID").await;
    app.type_into(&find, "martin").await;
    app.click(
        &app.find("option", &format!("Carole Martin, {carol_id}"))
            .await,
    )
    .await;
    app.find("textbox", "Message to Carole Martin").await;
    let (mut invites, _controller) = carol
        .account
        .rooms()
        .list(
            RoomListQuery {
                filter: RoomFilter::Invites,
                search: None,
            },
            10,
        )
        .await
        .expect("carol's invitations");
    let mut invited = Vec::new();
    tokio::time::timeout(estafette_e2e::PATIENCE, async {
        while !invited
            .iter()
            .any(|room: &RoomSummary| room.inviter.as_deref() == Some("alice"))
        {
            for diff in invites.next().await.expect("invitations listed") {
                diff.apply_to(&mut invited);
            }
        }
    })
    .await
    .expect("carol is invited by alice");

    // Into bob's team room, from its header: carol is invited there too.
    app.click(&app.find("button", "Équipe projet").await).await;
    app.click(&app.find("button", "Accept").await).await;
    app.find("textbox", "Message to Équipe projet").await;
    app.click(&app.find("button", "Room info").await).await;
    app.click(&app.find("button", "Invite people").await).await;
    app.find("dialog", "Invite people to Équipe projet").await;
    let picker = app.find("combobox", "Find a person by name or ID").await;
    app.type_into(&picker, "carole").await;
    app.click(
        &app.find("option", &format!("Carole Martin, {carol_id}"))
            .await,
    )
    .await;
    app.find("button", "Remove Carole Martin").await;
    app.click(&app.find("button", "Invite").await).await;
    app.wait_until_gone("dialog", "Invite people to Équipe projet")
        .await;
    let team = world.team_id.clone();
    eventually("carol to be invited to the team room", || async {
        let summary = carol.account.rooms().summary(&team).await?;
        (summary.membership == Membership::Invited).then_some(())
    })
    .await;

    // A link to carol in bob's message opens her card; "Ignore" there holds on every device.
    world
        .bob
        .wait_for_member(&team, &world.server.user_id("alice"))
        .await;
    world
        .bob
        .wait_for_device_of(&world.server.user_id("alice"))
        .await;
    world
        .bob
        .timeline(&team)
        .await
        .send_markdown(&format!("Voir [Carole](https://matrix.to/#/{carol_id})"))
        .await
        .expect("bob names carol");
    app.click(&app.find("link", "Carole").await).await;
    app.click(&app.find("button", "Ignore").await).await;
    app.find("button", "Stop ignoring").await;
    app.press(&Key::Escape.code().to_string()).await;
    let alice_elsewhere = Party::sign_in(&world.server, "alice").await;
    eventually("carol ignored on alice's other device", || async {
        alice_elsewhere
            .account
            .people()
            .ignored()
            .await
            .contains(&carol_id)
            .then_some(())
    })
    .await;

    // Leaving, from the room list's menu (Shift+F10 on the room), after a confirmation.
    let room = app.find("button", "Équipe projet").await;
    app.open_menu_with_keyboard(&room).await;
    app.click(&app.find("menuitem", "Leave").await).await;
    app.find("dialog", "Leave Équipe projet?").await;
    app.click(&app.find("button", "Leave").await).await;
    let alice = world.server.user_id("alice");
    eventually("bob to see alice leave", || async {
        let members = world.bob.account.rooms().members(&team).await.ok()?;
        (!members.iter().any(|member| member.user_id == alice)).then_some(())
    })
    .await;
    app.wait_until_gone("button", "Équipe projet").await;
    app.close().await;
}
