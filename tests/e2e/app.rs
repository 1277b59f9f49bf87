//! The app as a person uses it: the real binary in its real webview (Xvfb, tauri-driver,
//! WebKitWebDriver), a real Synapse, and a second person on a real core client. Run with
//! `cargo xtask test`; failed tests leave a screenshot in `target/e2e-screenshots`.

#![recursion_limit = "256"]

mod calls;
mod notifications;
mod people;
mod room_admin;
mod settings;
mod state_servers;

use std::time::{Duration, Instant};

use estafette_core::{
    encryption::{DeviceTrust, FlowState},
    rooms::NewRoom,
};
use estafette_e2e::{AppWindow, Installation, Key, PASSWORD, Party, TauriDriver, VirtualDisplay};
use estafette_testkit::{
    Homeserver,
    seed::{SeedPlan, seed_plain_rooms},
};

struct World {
    server: Homeserver,
    display: VirtualDisplay,
    alice: Installation,
    bob: Party,
    dm_id: String,
    /// bob's encrypted group room "Équipe projet", alice invited.
    team_id: String,
}

impl World {
    /// Synapse with alice (who will use the app) and bob (a core client), who has invited
    /// alice to an encrypted direct conversation and an encrypted group room.
    async fn new(language: &'static str) -> Self {
        let server = Homeserver::start().await.expect("Synapse starts");
        server
            .register_user("alice", PASSWORD, false)
            .await
            .expect("alice registered");
        let bob = Party::new(&server, "bob").await;
        let dm_id = bob
            .account
            .rooms()
            .create_dm(&server.user_id("alice"))
            .await
            .expect("bob opens a DM with alice");
        let team_id = bob
            .account
            .rooms()
            .create_room(NewRoom {
                name: "Équipe projet".to_owned(),
                topic: Some("Suivi du projet".to_owned()),
                encrypted: true,
                invite: vec![server.user_id("alice")],
            })
            .await
            .expect("bob creates a group room");
        Self {
            server,
            display: VirtualDisplay::start(),
            alice: Installation::new(language),
            bob,
            dm_id,
            team_id,
        }
    }

    fn driver(&self) -> TauriDriver {
        TauriDriver::start(&self.alice.environment(&self.display))
    }

    /// The world, its tauri-driver and the app's window, for the test named `test_name`.
    async fn open(language: &'static str, test_name: &str) -> (Self, TauriDriver, AppWindow) {
        let world = Self::new(language).await;
        let driver = world.driver();
        let app = driver.launch(test_name).await;
        (world, driver, app)
    }

    /// bob writes in the direct conversation once alice has joined it and her device is
    /// known to his client.
    async fn bob_says(&self, markdown: &str) {
        let alice = self.server.user_id("alice");
        self.bob.wait_for_member(&self.dm_id, &alice).await;
        self.bob.wait_for_device_of(&alice).await;
        self.bob
            .timeline(&self.dm_id)
            .await
            .send_markdown(markdown)
            .await
            .expect("bob sends");
    }

    /// bob sends the file at `path` into the direct conversation.
    async fn bob_sends_file(&self, path: std::path::PathBuf) {
        self.bob
            .account
            .media()
            .send_file(
                &self.dm_id,
                estafette_core::media::OutgoingFile {
                    path,
                    caption: None,
                    keep_metadata: false,
                },
            )
            .await
            .expect("bob sends");
    }

    /// Signs alice in through the form, typing as a person would, and puts off setting up
    /// recovery, which a first sign-in offers at once.
    async fn sign_in(&self, app: &AppWindow) {
        app.submit_sign_in(&self.server.base_url(), "alice", PASSWORD)
            .await;
        app.find("navigation", "Conversations").await;
        postpone_recovery(app, "Protect your encrypted messages", "Later").await;
    }
}

/// Closes the recovery set-up dialog that opens once the account's status is known.
async fn postpone_recovery(app: &AppWindow, title: &str, later: &str) {
    app.find("dialog", title).await;
    app.click(&app.find("button", later).await).await;
    app.wait_until_gone("dialog", title).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn signs_in_and_talks_in_an_encrypted_direct_conversation() {
    let (world, _driver, app) = World::open(
        "en",
        "signs_in_and_talks_in_an_encrypted_direct_conversation",
    )
    .await;

    world.sign_in(&app).await;

    // Both of bob's invitations are listed, under "Invitations".
    app.find("heading", "Invitations").await;
    app.find("button", "Équipe projet").await;
    let dm = app.find("button", "bob").await;
    app.click(&dm).await;
    let accept = app.find("button", "Accept").await;
    app.click(&accept).await;

    // Joined: the conversation opens, under "People", with a composer.
    app.find("heading", "People").await;
    let composer = app.find("textbox", "Message to bob").await;
    app.find("log", "Messages in bob").await;

    world
        .bob_says("Bonjour Alice, voici le **compte rendu**.")
        .await;
    app.wait_for_text("Bonjour Alice, voici le compte rendu.")
        .await;
    // A filter that hides the open conversation from the list leaves it open, draft and all.
    app.type_into(&composer, "draft kept").await;
    let filter = app.find("searchbox", "Filter conversations").await;
    app.type_into(&filter, "nothing matches this").await;
    app.wait_until_gone("button", "bob").await;
    assert_eq!(app.value(&composer).await, "draft kept");
    app.click(&filter).await;
    app.press(&format!(
        "{}a{}{}",
        Key::Control.code(),
        Key::Release.code(),
        Key::Backspace.code()
    ))
    .await;
    app.find("button", "bob").await;
    app.click(&composer).await;
    app.press(&format!(
        "{}a{}{}",
        Key::Control.code(),
        Key::Release.code(),
        Key::Backspace.code()
    ))
    .await;
    assert_eq!(app.value(&composer).await, "");
    // Formatted, sanitised HTML: the bold part is a <strong>.
    let strong = app
        .execute(
            "return [...document.querySelectorAll('[role=log] strong')].map(e => e.textContent);",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(strong, serde_json::json!(["compte rendu"]));

    // A link whose text names another site shows where it really leads before opening;
    // Cancel has the focus, and Escape puts it back on the link.
    world
        .bob_says("Réglez ici : [https://www.impots.gouv.fr](https://impots.example.net/payer)")
        .await;
    let link = app.find("link", "https://www.impots.gouv.fr").await;
    app.click(&link).await;
    let confirm = app.find("dialog", "Open this link?").await;
    assert!(
        app.text(&confirm)
            .await
            .contains("It opens https://impots.example.net/payer"),
        "the dialog names the real target"
    );
    let focused =
        "return document.activeElement?.textContent.replace(/[\\u2066-\\u2069]/g, '').trim();";
    assert_eq!(
        app.execute(focused, serde_json::json!([])).await.as_str(),
        Some("Cancel")
    );
    app.press(&Key::Escape.code().to_string()).await;
    app.wait_until_gone("dialog", "Open this link?").await;
    assert_eq!(
        app.execute(focused, serde_json::json!([])).await.as_str(),
        Some("https://www.impots.gouv.fr"),
        "the focus is back on the link"
    );

    // Enter sends; the reply reaches bob decrypted.
    app.type_into(&composer, "Merci Bob, bien reçu").await;
    app.type_into(&composer, &Key::Enter.code().to_string())
        .await;
    world
        .bob
        .wait_for_text(&world.dm_id, "Merci Bob, bien reçu")
        .await;
    app.wait_for_text("Merci Bob, bien reçu").await;
    assert_eq!(
        app.value(&composer).await,
        "",
        "the composer is cleared once sent"
    );

    // Ctrl+K, a few letters, Enter: the quick switcher opens the group room's invitation.
    app.press(&format!("{}k{}", Key::Control.code(), Key::Release.code()))
        .await;
    let switcher = app.find("combobox", "Go to a conversation").await;
    app.type_into(&switcher, "équipe").await;
    app.type_into(&switcher, &Key::Enter.code().to_string())
        .await;
    app.find("heading", "Équipe projet").await;
    app.find("button", "Accept").await;

    app.close().await;
}

/// The event bob's client has with `body` as its text (after edits), once it is there.
async fn bobs_event_with(
    world: &World,
    what: &str,
    wanted: impl Fn(&estafette_core::timeline::TimelineEvent) -> bool,
) -> estafette_core::timeline::TimelineEvent {
    bobs_event_in(world, &world.dm_id, what, wanted).await
}

/// The first event of `room_id`, as bob's client shows it, that is `wanted`, once there.
async fn bobs_event_in(
    world: &World,
    room_id: &str,
    what: &str,
    wanted: impl Fn(&estafette_core::timeline::TimelineEvent) -> bool,
) -> estafette_core::timeline::TimelineEvent {
    let timeline = world.bob.timeline(room_id).await;
    estafette_e2e::eventually(what, || async {
        timeline
            .items()
            .await
            .iter()
            .filter_map(|item| item.as_event())
            .find(|event| wanted(event))
            .cloned()
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn replies_reacts_edits_with_up_and_deletes_from_the_message_menu() {
    use estafette_core::timeline::EventContent;
    let (world, _driver, app) = World::open(
        "en",
        "replies_reacts_edits_with_up_and_deletes_from_the_message_menu",
    )
    .await;
    world.sign_in(&app).await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    let composer = app.find("textbox", "Message to bob").await;
    world.bob_says("Le rapport est prêt").await;
    app.wait_for_text("Le rapport est prêt").await;
    let original = bobs_event_with(&world, "bob's message", |event| {
        event.content.summary() == "Le rapport est prêt" && event.event_id.is_some()
    })
    .await
    .event_id
    .unwrap_or_default();

    // Reply, from the menu opened with the mouse.
    app.click(&app.find("button", "Options for the message from bob").await)
        .await;
    app.find("menu", "Options for the message from bob").await;
    app.click(&app.find("menuitem", "Reply").await).await;
    app.wait_for_text("Replying to bob").await;
    app.find("button", "Cancel the reply").await;
    app.type_into(&composer, "Je le lis").await;
    app.type_into(&composer, &Key::Enter.code().to_string())
        .await;
    bobs_event_with(&world, "alice's reply, with its relation", |event| {
        event.content.summary() == "Je le lis"
            && event
                .reply_to
                .as_ref()
                .is_some_and(|reply| reply.event_id == original)
    })
    .await;
    app.wait_until_gone("button", "Cancel the reply").await;
    app.find("button", "Go to the message from bob").await;

    // The menu with the keyboard alone: Shift+F10 on the options button; arrows, Home and
    // End move (round from the first to the last); Escape closes it and gives the focus back.
    let options = app.find("button", "Options for the message from bob").await;
    app.open_menu_with_keyboard(&options).await;
    app.find("menu", "Options for the message from bob").await;
    let focused = "const element = document.activeElement; \
        return (element?.getAttribute('aria-label') || element?.textContent || '').trim().replace(/[\\u2066-\\u2069]/g, '');";
    let focus_is = |expected: String| {
        let app = &app;
        async move {
            assert_eq!(
                app.execute(focused, serde_json::json!([])).await.as_str(),
                Some(expected.as_str())
            );
        }
    };
    // The last item: "Delete" when she may delete others' messages, else "View source".
    let last = app
        .execute(
            "const items = document.querySelectorAll('[role=menu] [role=menuitem]'); \
             return items[items.length - 1].textContent.trim();",
            serde_json::json!([]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // The first item, "React with 👍", has the focus.
    focus_is("React with 👍".to_owned()).await;
    app.press(&Key::ArrowUp.code().to_string()).await;
    focus_is(last.clone()).await;
    app.press(&Key::Home.code().to_string()).await;
    focus_is("React with 👍".to_owned()).await;
    app.press(&Key::End.code().to_string()).await;
    focus_is(last).await;
    app.press(&Key::ArrowDown.code().to_string()).await;
    focus_is("React with 👍".to_owned()).await;
    app.press(&Key::ArrowDown.code().to_string()).await;
    focus_is("React with ❤️".to_owned()).await;
    app.press(&Key::Escape.code().to_string()).await;
    app.wait_until_gone("menu", "Options for the message from bob")
        .await;
    focus_is("Options for the message from bob".to_owned()).await;

    // React, with the keyboard alone: the menu again, Enter on its first item.
    app.open_menu_with_keyboard(&options).await;
    app.find("menu", "Options for the message from bob").await;
    focus_is("React with 👍".to_owned()).await;
    app.press(&Key::Enter.code().to_string()).await;
    app.wait_until_gone("menu", "Options for the message from bob")
        .await;
    let alerts = app
        .execute(
            "return [...document.querySelectorAll('[role=alert]')].map(e => e.textContent).join(' | ');",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(alerts.as_str(), Some(""), "no error after reacting");
    bobs_event_with(&world, "alice's reaction", |event| {
        event.event_id.as_deref() == Some(original.as_str())
            && event
                .reactions
                .iter()
                .any(|reaction| reaction.key == "👍" && reaction.senders.len() == 1)
    })
    .await;
    app.find("button", "👍, from you").await;

    // Up in the empty composer edits her last message.
    app.click(&composer).await;
    app.press(&Key::ArrowUp.code().to_string()).await;
    app.wait_for_text("Editing your message").await;
    app.find("button", "Cancel editing").await;
    assert_eq!(app.value(&composer).await, "Je le lis");
    app.type_into(&composer, " ce soir").await;
    app.type_into(&composer, &Key::Enter.code().to_string())
        .await;
    bobs_event_with(&world, "the edit", |event| {
        event.content.summary() == "Je le lis ce soir" && event.is_edited
    })
    .await;
    app.wait_for_text("(edited)").await;

    // Delete her reply, with a reason.
    app.click(
        &app.find("button", "Options for the message from alice")
            .await,
    )
    .await;
    app.click(&app.find("menuitem", "Delete").await).await;
    let reason = app.find("textbox", "Reason (optional)").await;
    app.type_into(&reason, "erreur").await;
    app.click(&app.find("button", "Delete").await).await;
    app.wait_until_gone("dialog", "Delete this message?").await;
    bobs_event_with(&world, "the deletion", |event| {
        event.is_own.eq(&false) && event.content == EventContent::Redacted
    })
    .await;
    app.wait_for_text("Message deleted").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mentions_a_member_from_the_list_and_answers_in_a_thread() {
    let (world, _driver, app) = World::open(
        "en",
        "mentions_a_member_from_the_list_and_answers_in_a_thread",
    )
    .await;
    world.sign_in(&app).await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    let composer = app.find("textbox", "Message to bob").await;
    world.bob_says("Ordre du jour de lundi").await;
    app.wait_for_text("Ordre du jour de lundi").await;

    // "@bo": the list offers bob; Enter takes him, and he is notified by name.
    app.type_into(&composer, "@bo").await;
    app.find("listbox", "People to mention").await;
    app.find_containing("option", "@bob:").await;
    app.press(&Key::Enter.code().to_string()).await;
    app.wait_until_gone("listbox", "People to mention").await;
    assert_eq!(app.value(&composer).await, "@bob ");
    app.type_into(&composer, "tu relis ?").await;
    app.type_into(&composer, &Key::Enter.code().to_string())
        .await;
    let mention = bobs_event_with(&world, "the mention, highlighted for bob", |event| {
        event.content.summary().contains("tu relis ?") && event.mentions_me
    })
    .await;
    // The text reads as written; the formatted message links to bob (a pill everywhere).
    assert_eq!(mention.content.summary(), "@bob tu relis ?");
    assert!(
        matches!(
            &mention.content,
            estafette_core::timeline::EventContent::Text { html: Some(html), .. }
                if html.contains("https://matrix.to/#/@bob:")
        ),
        "sent as a link to bob: {:?}",
        mention.content
    );

    // Reply in a thread from the menu: the panel opens with its own composer.
    app.click(&app.find("button", "Options for the message from bob").await)
        .await;
    app.click(&app.find("menuitem", "Reply in thread").await)
        .await;
    app.find("complementary", "Thread").await;
    let thread_composer = app.find("textbox", "Reply in the thread, in bob").await;
    app.type_into(&thread_composer, "Point budget").await;
    app.type_into(&thread_composer, &Key::Enter.code().to_string())
        .await;
    let root = bobs_event_with(&world, "the thread's first message", |event| {
        event.content.summary() == "Ordre du jour de lundi"
    })
    .await
    .event_id
    .unwrap_or_default();
    let thread = world
        .bob
        .account
        .thread(&world.dm_id, &root)
        .await
        .expect("bob opens the thread");
    estafette_e2e::eventually("the reply in bob's thread", || async {
        let _ = thread.paginate_backwards(20).await;
        thread
            .items()
            .await
            .iter()
            .filter_map(|item| item.as_event())
            .any(|event| event.content.summary() == "Point budget")
            .then_some(())
    })
    .await;
    // In the conversation, the first message counts it; the reply itself stays in the thread,
    // on bob's side too.
    app.find_containing("button", "1 reply in a thread").await;
    let bobs_conversation = bobs_event_with(
        &world,
        "the thread's first message in bob's conversation",
        |event| {
            event.content.summary() == "Ordre du jour de lundi"
                && event
                    .thread
                    .as_ref()
                    .is_some_and(|thread| thread.replies == 1)
        },
    )
    .await;
    assert!(bobs_conversation.event_id.is_some());
    assert!(
        !world
            .bob
            .timeline(&world.dm_id)
            .await
            .items()
            .await
            .iter()
            .filter_map(|item| item.as_event())
            .any(|event| event.content.summary() == "Point budget"),
        "a thread reply is not in bob's conversation, where its first message counts it"
    );

    // bob answers in the thread: alice reads it in the panel; her conversation counts it and
    // names it under the first message, but does not show it as a message of its own.
    thread
        .send_markdown("Budget validé")
        .await
        .expect("bob answers in the thread");
    app.wait_for_text("Budget validé").await;
    app.click(&app.find("button", "Close the thread").await)
        .await;
    app.wait_until_gone("complementary", "Thread").await;
    app.find_containing("button", "2 replies in a thread").await;
    let shown_as_messages = app
        .execute(
            "return [...document.querySelectorAll('[role=log] [data-item-id] .body')] \
               .filter(body => body.textContent.trim() === 'Budget validé').length;",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(shown_as_messages.as_u64(), Some(0));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn jumps_to_the_first_unread_message_further_back_than_what_is_loaded() {
    let (world, _driver, app) = World::open(
        "en",
        "jumps_to_the_first_unread_message_further_back_than_what_is_loaded",
    )
    .await;
    world.sign_in(&app).await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    world.bob_says("Avant la pause").await;
    app.wait_for_text("Avant la pause").await;
    // Read to the end; leaving the conversation moves her read marker there.
    app.click(&app.find("button", "Équipe projet").await).await;
    app.find("button", "Accept").await;

    // Sixty messages while she is away: more than a conversation loads when it opens.
    let bob_timeline = world.bob.timeline(&world.dm_id).await;
    for number in 1..=60 {
        bob_timeline
            .send_markdown(&format!("Point {number}"))
            .await
            .expect("bob sends");
    }
    // Counted on her side from receipts: the number may lag; that there are unread may not.
    estafette_e2e::eventually("bob's conversation unread in alice's room list", || async {
        let described = app
            .execute(
                "const room = [...document.querySelectorAll('button[data-room-id]')] \
                   .find(b => b.getAttribute('aria-label') === 'bob'); \
                 return room ? document.getElementById(room.getAttribute('aria-describedby')).textContent : '';",
                serde_json::json!([]),
            )
            .await;
        described
            .as_str()
            .is_some_and(|text| text.contains(" unread") && text.contains("Point 60"))
            .then_some(())
    })
    .await;
    app.click(&app.find("button", "bob").await).await;
    app.wait_for_text("Point 60").await;
    assert!(
        !app.text(&app.find("log", "Messages in bob").await)
            .await
            .contains("Avant la pause"),
        "the first unread is further back than what opened"
    );

    // The banner goes back to the first unread message, loading history, and puts the
    // keyboard there.
    // Found and pressed in one step: the banner is drawn again while older pages load.
    app.wait_for_text("Jump to first unread").await;
    estafette_e2e::eventually("the banner's button pressed", || async {
        app.execute(
            "const jump = [...document.querySelectorAll('button')] \
               .find(b => b.textContent === 'Jump to first unread'); \
             jump?.click(); return !!jump;",
            serde_json::json!([]),
        )
        .await
        .as_bool()
        .filter(|pressed| *pressed)
    })
    .await;
    estafette_e2e::eventually("the focus on the first unread message", || async {
        let row = app
            .execute(
                "return document.activeElement?.closest('[data-item-id]')?.innerText ?? '';",
                serde_json::json!([]),
            )
            .await;
        row.as_str()
            .is_some_and(is_the_row_of_point_one)
            .then_some(())
    })
    .await;
    app.wait_for_text("Avant la pause").await;

    // Read: leaving the conversation leaves nothing unread in the room list.
    app.click(&app.find("button", "Équipe projet").await).await;
    estafette_e2e::eventually("no unread left in bob's conversation", || async {
        let described = app
            .execute(
                "const room = [...document.querySelectorAll('button[data-room-id]')] \
                   .find(b => b.getAttribute('aria-label') === 'bob'); \
                 return room ? document.getElementById(room.getAttribute('aria-describedby')).textContent : 'none';",
                serde_json::json!([]),
            )
            .await;
        described
            .as_str()
            .is_some_and(|text| !text.contains("unread"))
            .then_some(())
    })
    .await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_to_a_picture_far_back_shows_it_and_opens_the_history_around_it() {
    use estafette_core::timeline::{EventContent, OutgoingMessage};
    let (world, _driver, app) = World::open(
        "en",
        "a_reply_to_a_picture_far_back_shows_it_and_opens_the_history_around_it",
    )
    .await;
    world.sign_in(&app).await;
    // While alice has not yet joined the group room, bob shares a picture there, a long
    // discussion follows, then bob answers the picture. When she joins, her client receives the
    // latest messages only: the picture is further back than anything it holds.
    let alice = world.server.user_id("alice");
    world.bob.wait_for_device_of(&alice).await;
    let picture = png_of_one_colour(800, 600, [40, 160, 90]);
    let files = tempfile::tempdir().expect("folder");
    let plan_path = files.path().join("plan.png");
    std::fs::write(&plan_path, &picture).expect("written");
    let bob_timeline = world.bob.timeline(&world.team_id).await;
    bob_timeline
        .send_markdown("Voici le plan")
        .await
        .expect("bob sends");
    world
        .bob
        .account
        .media()
        .send_file(
            &world.team_id,
            estafette_core::media::OutgoingFile {
                path: plan_path,
                caption: None,
                keep_metadata: false,
            },
        )
        .await
        .expect("bob sends the picture");
    let plan = bobs_event_in(&world, &world.team_id, "bob's picture", |event| {
        matches!(&event.content, EventContent::Media(media) if media.name == "plan.png")
            && event.event_id.is_some()
    })
    .await
    .event_id
    .unwrap_or_default();
    for number in 1..=150 {
        bob_timeline
            .send_markdown(&format!("Ligne {number}"))
            .await
            .expect("bob sends");
    }
    bob_timeline
        .send(OutgoingMessage {
            markdown: "Je reviens sur le plan".to_owned(),
            reply_to: Some(plan.clone()),
            ..OutgoingMessage::default()
        })
        .await
        .expect("bob replies");
    // Sent, not only queued: the messages do not trickle in after she joins.
    bobs_event_in(&world, &world.team_id, "bob's answer on the server", |event| {
        matches!(&event.content, EventContent::Text { body, .. } if body == "Je reviens sur le plan")
            && event.event_id.is_some()
    })
    .await;
    app.click(&app.find("button", "Équipe projet").await).await;
    app.click(&app.find("button", "Accept").await).await;
    app.find("textbox", "Message to Équipe projet").await;
    let loaded_in_the_page = "return [...document.querySelectorAll('[role=log] img')] \
        .some(image => image.getAttribute('alt') === 'plan.png');";

    // The quote names the sender, says it is a picture, and shows its thumbnail, decrypted by
    // the shell.
    app.find("button", "Go to the message from bob").await;
    // The file's name is isolated for right-to-left scripts (U+2068 … U+2069).
    let quoted = app
        .execute(
            "return document.querySelector('button.quote')?.innerText ?? '';",
            serde_json::json!([]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .replace(['\u{2068}', '\u{2069}'], "");
    assert!(quoted.contains("Image: plan.png"), "{quoted}");
    estafette_e2e::eventually("the picture's thumbnail in the quote", || async {
        app.execute(
            "const image = document.querySelector('button.quote img'); \
             return !!image && image.complete && image.naturalWidth > 0;",
            serde_json::json!([]),
        )
        .await
        .as_bool()
        .filter(|shown| *shown)
    })
    .await;
    assert!(
        !app.text(&app.find("log", "Messages in Équipe projet").await)
            .await
            .contains("Voici le plan"),
        "the picture is further back than what opened"
    );
    assert_eq!(
        app.execute(loaded_in_the_page, serde_json::json!([])).await,
        serde_json::json!(false)
    );

    // A click opens the history around the picture, with the focus on it; the latest
    // messages are not there, and a button goes back to them.
    // Found again: the row may have been drawn anew while the conversation loaded.
    app.click_named("button", "Go to the message from bob")
        .await;
    estafette_e2e::eventually("the focus on the picture", || async {
        app.execute(
            "return document.activeElement?.closest('[data-item-id]') \
               ?.querySelector('[aria-label^=\"View picture\"]')?.getAttribute('aria-label') \
               ?.replace(/[\\u2068\\u2069]/g, '') ?? '';",
            serde_json::json!([]),
        )
        .await
        .as_str()
        .is_some_and(|label| label == "View picture: plan.png")
        .then_some(())
    })
    .await;
    app.wait_for_text("Voici le plan").await;
    // Shown from the history opened around it, not found by scrolling the live conversation.
    let around = app
        .execute(
            "return document.querySelector('[role=log]')?.dataset.around ?? '';",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(around.as_str(), Some(plan.as_str()));
    let log = app
        .text(&app.find("log", "Messages in Équipe projet").await)
        .await;
    assert!(
        !log.contains("Je reviens sur le plan"),
        "the history around the picture, not the latest messages: {log}"
    );
    app.click(&app.find("button", "Jump to latest messages").await)
        .await;
    app.wait_for_text("Je reviens sur le plan").await;
    // Back in the live conversation, with the focus on it.
    assert_eq!(
        app.execute(
            "return document.activeElement?.getAttribute('role') === 'log' \
               && !document.activeElement.dataset.around;",
            serde_json::json!([])
        )
        .await,
        serde_json::json!(true)
    );
    assert!(
        !app.text(&app.find("log", "Messages in Équipe projet").await)
            .await
            .contains("Voici le plan"),
        "back in the live conversation, at its end"
    );
    app.close().await;
}

/// A PNG picture of `width` × `height` pixels, all of one colour.
fn png_of_one_colour(width: u32, height: u32, colour: [u8; 3]) -> Vec<u8> {
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        width,
        height,
        image::Rgb(colour),
    ))
    .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
    .expect("encoded");
    png
}

/// "Point 1" as a message of its own, not the start of "Point 10".
fn is_the_row_of_point_one(row: &str) -> bool {
    row.lines().any(|line| line.trim() == "Point 1")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_is_explained_in_french_on_a_french_system() {
    let (world, _driver, app) = World::open(
        "fr",
        "a_wrong_password_is_explained_in_french_on_a_french_system",
    )
    .await;

    let homeserver = app.find("textbox", "Serveur d'accueil").await;
    app.type_into(&homeserver, &world.server.base_url()).await;
    app.type_into(&app.find("textbox", "Identifiant").await, "alice")
        .await;
    app.type_into(&app.find("textbox", "Mot de passe").await, "pas le bon")
        .await;
    app.click(&app.find("button", "Se connecter").await).await;

    let alert = app
        .find("alert", "Identifiant ou mot de passe incorrect.")
        .await;
    assert!(!app.text(&alert).await.is_empty());
    // Still on the form, ready for another try.
    app.find("button", "Se connecter").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stays_signed_in_after_a_restart_with_the_keyboard_alone() {
    let (world, driver, app) = World::open(
        "en",
        "stays_signed_in_after_a_restart_with_the_keyboard_alone",
    )
    .await;

    // The username field has the focus; Tab moves on, Enter submits.
    app.find("button", "Sign in").await;
    let homeserver = app.find("textbox", "Homeserver").await;
    app.type_into(&homeserver, &world.server.base_url()).await;
    app.press(&format!("{}alice", Key::Tab.code())).await;
    app.press(&format!(
        "{}{PASSWORD}{}",
        Key::Tab.code(),
        Key::Enter.code()
    ))
    .await;
    app.find("navigation", "Conversations").await;
    app.find("button", "bob").await;
    postpone_recovery(&app, "Protect your encrypted messages", "Later").await;
    app.close().await;

    // A new process: no sign-in screen, the rooms are there.
    let started = Instant::now();
    let app = driver
        .launch("stays_signed_in_after_a_restart_with_the_keyboard_alone")
        .await;
    app.find("navigation", "Conversations").await;
    app.find("button", "Équipe projet").await;
    assert_eq!(app.count("button", "Sign in").await, 0);
    eprintln!("restart to room list: {:?}", started.elapsed());
    // Put off once, recovery is a banner now, not a dialog at each start.
    app.find("button", "Set up recovery").await;
    assert_eq!(
        app.count("dialog", "Protect your encrypted messages").await,
        0
    );

    // Arrow keys move through the list; Enter opens.
    let first = app.find("button", "Équipe projet").await;
    app.click(&first).await;
    app.find("heading", "Équipe projet").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shows_the_offline_banner_and_recovers_when_the_server_returns() {
    let (mut world, _driver, app) = World::open(
        "en",
        "shows_the_offline_banner_and_recovers_when_the_server_returns",
    )
    .await;
    world.sign_in(&app).await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    app.find("textbox", "Message to bob").await;

    world.server.stop().await.expect("Synapse stops");
    app.find_containing("status", "Offline").await;

    world.server.restart().await.expect("Synapse restarts");
    app.wait_until_gone("status", "Offline: showing saved messages. Reconnecting…")
        .await;

    world.bob_says("De retour en ligne").await;
    app.wait_for_text("De retour en ligne").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_launch_leaves_the_first_window_in_charge() {
    let (world, _driver, app) =
        World::open("en", "a_second_launch_leaves_the_first_window_in_charge").await;
    app.find("button", "Sign in").await;

    let mut second = std::process::Command::new(estafette_e2e::app_binary())
        .envs(world.alice.environment(&world.display))
        .spawn()
        .expect("second launch");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait().expect("second process status") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("the second launch kept running next to the first");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "the second launch exits quietly: {status}"
    );
    // The first window still answers.
    app.find("button", "Sign in").await;
    app.close().await;
}

/// What `cargo xtask run` shows a newcomer: the demo server's credentials on the sign-in
/// screen, then bob (a real client kept running by the demo) greeting alice in an encrypted
/// conversation and answering her.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_shows_its_accounts_and_bob_answers_in_an_encrypted_conversation() {
    let demo_dir = tempfile::tempdir().expect("temporary directory");
    let demo = estafette_e2e::Demo::start(demo_dir.path());
    let display = VirtualDisplay::start();
    let alice = Installation::new("fr");
    let mut environment = alice.environment(&display);
    environment.extend(demo.app_environment());
    let driver = TauriDriver::start(&environment);
    let app = driver
        .launch("the_demo_shows_its_accounts_and_bob_answers_in_an_encrypted_conversation")
        .await;

    // Demo mode: the credentials are on the screen and the server is filled in.
    app.find("heading", "Serveur de démonstration").await;
    app.wait_for_text("mot de passe estafette-demo").await;
    let homeserver = app.find("textbox", "Serveur d'accueil").await;
    assert_eq!(app.value(&homeserver).await, demo.url());
    app.type_into(&app.find("textbox", "Identifiant").await, "alice")
        .await;
    app.type_into(&app.find("textbox", "Mot de passe").await, "estafette-demo")
        .await;
    app.click(&app.find("button", "Se connecter").await).await;

    // Seeded plain rooms with history, and bob's invitation to an encrypted conversation.
    app.find("navigation", "Conversations").await;
    postpone_recovery(&app, "Protégez vos messages chiffrés", "Plus tard").await;
    app.find("button", "Salon de démonstration 1").await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accepter").await).await;
    app.wait_for_text("Bonjour Alice ! Bienvenue sur Estafette.")
        .await;

    let composer = app.find("textbox", "Message à bob").await;
    app.type_into(&composer, &format!("Bonjour Bob{}", Key::Enter.code()))
        .await;
    app.wait_for_text("Bien reçu : « Bonjour Bob »").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn creates_an_encrypted_room_then_signs_out_leaving_nothing_behind() {
    let test_name = "creates_an_encrypted_room_then_signs_out_leaving_nothing_behind";
    let (world, driver, app) = World::open("en", test_name).await;
    world.sign_in(&app).await;

    // Recovery, put off at sign-in, set up from the banner: the key is shown once and one of
    // its groups must be typed back.
    app.click(&app.find("button", "Set up recovery").await)
        .await;
    app.find("dialog", "Protect your encrypted messages").await;
    app.click(&app.find("button", "Create my recovery key").await)
        .await;
    app.find("button", "I have kept it").await;
    let key = app
        .execute(
            "return document.querySelector('output.key').textContent;",
            serde_json::json!([]),
        )
        .await;
    let groups: Vec<String> = key
        .as_str()
        .expect("the key is shown")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        groups.len(),
        12,
        "twelve groups of four characters: {groups:?}"
    );
    // Copied, the key is on the clipboard, then gone from it (a minute, 2 s under test).
    app.click(&app.find("button", "Copy").await).await;
    app.wait_for_text("The clipboard will be emptied in one minute")
        .await;
    assert_eq!(
        read_clipboard(&world.display)
            .split_whitespace()
            .collect::<Vec<_>>(),
        groups
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while !read_clipboard(&world.display).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the recovery key is still on the clipboard"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    app.click(&app.find("button", "I have kept it").await).await;
    let field = app.find_containing("textbox", "of the recovery key").await;
    let label = app
        .execute(
            "return document.querySelector('label[for=recovery-check]').textContent;",
            serde_json::json!([]),
        )
        .await;
    let group: usize = label
        .as_str()
        .and_then(|text| text.split_whitespace().nth(1))
        .and_then(|number| number.parse().ok())
        .expect("the label names a group");
    app.type_into(&field, "XXXX").await;
    app.click(&app.find("button", "Check").await).await;
    app.wait_for_text(&format!("That is not group {group} of your key"))
        .await;
    app.clear(&field).await;
    app.type_into(&field, &groups[group - 1]).await;
    app.click(&app.find("button", "Check").await).await;
    app.wait_for_text("Recovery is set up.").await;
    app.click(&app.find("button", "Close").await).await;
    app.wait_until_gone("button", "Set up recovery").await;

    app.click(&app.find("button", "Start a conversation").await)
        .await;
    app.find("dialog", "Start a conversation").await;
    let name = app.find("textbox", "Room name").await;
    app.type_into(&name, "Réunion de service").await;
    let encrypted = app.find("checkbox", "End-to-end encrypted").await;
    assert_eq!(
        app.property(&encrypted, "checked").await,
        serde_json::json!(true),
        "new rooms are encrypted by default"
    );
    app.click(&app.find("button", "Create room").await).await;
    app.find("heading", "Réunion de service").await;
    app.wait_for_text("Messages in this room are end-to-end encrypted")
        .await;

    // Sign out, confirmed in a dialog: back to the sign-in form.
    let alice = world.server.user_id("alice");
    app.click(&app.find_containing("button", "Accounts").await)
        .await;
    app.click(&app.find("button", &format!("Sign out {alice}")).await)
        .await;
    app.find("dialog", "Sign out").await;
    app.click(&app.find("button", "Sign out").await).await;
    app.find("button", "Sign in").await;
    app.close().await;

    // Nothing is left to restore: the next start asks to sign in, and no account data stays.
    let app = driver.launch(test_name).await;
    app.find("button", "Sign in").await;
    let accounts = world.alice.data_dir.path().join("accounts");
    let left: Vec<_> = std::fs::read_dir(&accounts)
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "account data left behind: {left:?}");
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn remembers_the_window_size() {
    let (_world, driver, app) = World::open("en", "remembers_the_window_size").await;
    app.find("button", "Sign in").await;
    app.set_window_size(900, 640).await;
    let resized = app.window_rect().await;
    assert_eq!(
        (resized["width"].as_u64(), resized["height"].as_u64()),
        (Some(900), Some(640))
    );
    // Saved once the size stops changing, without waiting for a clean exit.
    tokio::time::sleep(Duration::from_secs(2)).await;
    app.close().await;

    let app = driver.launch("remembers_the_window_size").await;
    app.find("button", "Sign in").await;
    let restored = app.window_rect().await;
    assert_eq!(
        (restored["width"].as_u64(), restored["height"].as_u64()),
        (Some(900), Some(640)),
        "the window opens at its last size"
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sets_up_recovery_then_a_new_device_is_verified_by_emoji_from_the_first() {
    let test_name = "sets_up_recovery_then_a_new_device_is_verified_by_emoji_from_the_first";
    let server = Homeserver::start().await.expect("Synapse starts");
    let display = VirtualDisplay::start();
    // alice's first device: a core client, which owns her identity.
    let first = Party::new(&server, "alice").await;
    estafette_e2e::eventually("the first device's identity", || async {
        (first.account.encryption().status().await.device == DeviceTrust::Verified).then_some(())
    })
    .await;
    first
        .account
        .encryption()
        .set_up_recovery(None)
        .await
        .expect("recovery set up on the first device");
    let mut prompts = first.account.verification().incoming();

    // The app signs in as a second device: it must confirm it is alice.
    let alice = Installation::new("en");
    let driver = TauriDriver::start(&alice.environment(&display));
    let app = driver.launch(test_name).await;
    app.submit_sign_in(&server.base_url(), "alice", PASSWORD)
        .await;
    app.find("dialog", "Confirm it's you").await;
    app.click(&app.find("button", "Verify with another device").await)
        .await;
    app.find("dialog", "Verification").await;

    // The first device is asked, accepts, and both show the same seven emoji.
    let prompt = tokio::time::timeout(Duration::from_secs(45), prompts.next())
        .await
        .expect("the request reaches the first device")
        .expect("prompts open");
    assert!(prompt.is_self_verification);
    first
        .account
        .verification()
        .accept(&prompt.id)
        .await
        .expect("accepted");
    let mut flow = first
        .account
        .verification()
        .watch(&prompt.id)
        .await
        .expect("watched");
    let emojis = loop {
        let state = tokio::time::timeout(Duration::from_secs(45), flow.next())
            .await
            .expect("the flow moves on")
            .expect("open");
        if let FlowState::CompareEmoji { emojis } = state {
            break emojis;
        }
        assert!(!matches!(state, FlowState::Cancelled { .. }), "cancelled");
    };
    app.find("list", "Emoji to compare").await;
    let shown = app
        .execute(
            "return [...document.querySelectorAll('[aria-label=\"Emoji to compare\"] li')].map(e => e.innerText.replace(/\\s+/g, ' ').trim());",
            serde_json::json!([]),
        )
        .await;
    let expected: Vec<String> = emojis
        .iter()
        .map(|emoji| format!("{} {}", emoji.symbol, emoji.description))
        .collect();
    assert_eq!(
        shown,
        serde_json::json!(expected),
        "the app shows the core's emoji"
    );

    app.click(&app.find("button", "They match").await).await;
    first
        .account
        .verification()
        .confirm(&prompt.id)
        .await
        .expect("the first device confirms");
    app.wait_for_text("Your device is verified.").await;
    app.click(&app.find("button", "Close").await).await;
    // Verified: no more warning, and the first device lists the app's device as verified.
    app.wait_until_gone("button", "Verify this device").await;
    estafette_e2e::eventually(
        "the first device to see the new one as verified",
        || async {
            first.account.devices().own().await.ok().filter(|devices| {
                devices
                    .iter()
                    .filter(|device| !device.is_current)
                    .any(|device| device.is_verified)
            })
        },
    )
    .await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn renames_another_device_then_signs_it_out_with_the_password() {
    let test_name = "renames_another_device_then_signs_it_out_with_the_password";
    let (world, _driver, app) = World::open("en", test_name).await;
    world.sign_in(&app).await;
    // alice's other device: a core client.
    let laptop = Party::sign_in(&world.server, "alice").await;

    app.click(&app.find_containing("button", "Accounts").await)
        .await;
    app.click(&app.find("button", "Settings").await).await;
    app.find("dialog", "Settings").await;
    app.click(&app.find("tab", "Security & devices").await)
        .await;
    app.find("list", "Devices").await;
    let old_name = "alice's test client";
    app.click(&app.find("button", &format!("Rename {old_name}")).await)
        .await;
    let field = app
        .find("textbox", &format!("New name for {old_name}"))
        .await;
    app.clear(&field).await;
    app.type_into(&field, "Portable du bureau").await;
    app.click(&app.find("button", "Save").await).await;

    // Signing it out asks for the password; a wrong one is refused, the right one works.
    app.click(&app.find("button", "Sign out Portable du bureau").await)
        .await;
    let password = app.find("textbox", "Password").await;
    app.type_into(&password, "not the password").await;
    app.click(&app.find("button", "Confirm sign-out").await)
        .await;
    app.wait_for_text("Wrong password.").await;
    app.clear(&password).await;
    app.type_into(&password, PASSWORD).await;
    app.click(&app.find("button", "Confirm sign-out").await)
        .await;
    app.wait_until_gone("button", "Sign out Portable du bureau")
        .await;
    estafette_e2e::eventually("the signed-out device to lose its session", || async {
        (laptop.account.current_sync_state() == estafette_core::sync::SyncState::SessionExpired)
            .then_some(())
    })
    .await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn warns_when_a_contact_resets_their_identity_until_acknowledged() {
    let test_name = "warns_when_a_contact_resets_their_identity_until_acknowledged";
    let (world, _driver, app) = World::open("en", test_name).await;
    world.sign_in(&app).await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    world.bob_says("Bonjour Alice").await;
    app.wait_for_text("Bonjour Alice").await;

    let password = Some(estafette_core::Zeroizing::new(PASSWORD.to_owned()));
    world
        .bob
        .account
        .encryption()
        .reset_identity(password)
        .await
        .expect("bob resets his identity");
    app.wait_for_text("bob's identity was reset").await;
    app.click(&app.find("button", "Acknowledge bob's new identity").await)
        .await;
    app.wait_until_gone("button", "Acknowledge bob's new identity")
        .await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_fifty_messages_is_shown_whole_down_to_the_start_of_the_conversation() {
    let (world, _driver, app) = World::open(
        "en",
        "a_burst_of_fifty_messages_is_shown_whole_down_to_the_start_of_the_conversation",
    )
    .await;
    world.sign_in(&app).await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    app.find("log", "Messages in bob").await;

    // bob writes 50 messages in a row while the conversation is open (issue 9: the app used to
    // show only the latest few, without the start, and scrolling up loaded nothing more).
    world.bob_says("Burst 1").await;
    let bob_timeline = world.bob.timeline(&world.dm_id).await;
    for number in 2..=50 {
        bob_timeline
            .send_markdown(&format!("Burst {number}"))
            .await
            .expect("bob sends");
    }
    app.wait_for_text("Burst 50").await;

    // Scrolling to the top with the wheel, as far as it goes each time, reaches the first
    // message and the start of the conversation.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reached = app
            .execute(
                "const log = document.querySelector('[role=log]'); \
                 log.dispatchEvent(new WheelEvent('wheel', { deltaY: -log.scrollHeight })); \
                 log.scrollTop = 0; \
                 const text = log.innerText; \
                 return text.includes('This is the start of the conversation.') \
                   && /Burst 1(?!\\d)/.test(text);",
                serde_json::json!([]),
            )
            .await;
        if reached.as_bool() == Some(true) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the start of the conversation and the first message are shown"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_account_says_that_more_rooms_are_loading_until_all_are_listed() {
    let (world, _driver, app) = World::open(
        "en",
        "a_large_account_says_that_more_rooms_are_loading_until_all_are_listed",
    )
    .await;
    // 150 rooms more: sliding sync lists the first 20, then grows by batches of 100.
    let owner = world
        .server
        .register_user("owner", PASSWORD, false)
        .await
        .expect("owner registered");
    let alice = world
        .server
        .login("alice", PASSWORD)
        .await
        .expect("alice's seeding session");
    let plan = SeedPlan {
        rooms: 150,
        messages_per_room: 1,
        room_name_prefix: "Service".into(),
    };
    seed_plain_rooms(&world.server, &owner, &[alice], &plan)
        .await
        .expect("seeded");

    // Every text the room list's loading status shows, however briefly.
    app.execute(
        "window.loadingTexts = []; \
         new MutationObserver(() => { \
           for (const slot of document.querySelectorAll('.room-list [role=status]')) { \
             const text = slot.textContent.trim(); \
             if (text && !window.loadingTexts.includes(text)) window.loadingTexts.push(text); \
           } \
         }).observe(document.body, { childList: true, subtree: true, characterData: true });",
        serde_json::json!([]),
    )
    .await;
    world.sign_in(&app).await;

    // The list says so until every room has arrived, then says nothing.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = app
            .execute(
                "return document.querySelector('.room-list [role=status]')?.textContent.trim() ?? null;",
                serde_json::json!([]),
            )
            .await;
        if status.as_str() == Some("") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the room list finishes loading; it still says {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let seen = app
        .execute("return window.loadingTexts;", serde_json::json!([]))
        .await;
    let seen: Vec<String> = serde_json::from_value(seen).expect("a list of texts");
    assert!(
        seen.iter()
            .any(|text| text.starts_with("More conversations are loading: ")
                && text.ends_with(" of 152")),
        "the list said how many of the 152 rooms had arrived; it said {seen:?}"
    );

    // All are there: scrolling to the end lists every one, down to the oldest.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = app
            .execute(
                "const list = document.querySelector('.room-list .sections'); \
                 list.scrollTop = list.scrollHeight; \
                 list.dispatchEvent(new Event('scroll')); \
                 return list.querySelectorAll('button[data-room-id]').length;",
                serde_json::json!([]),
            )
            .await;
        if listed.as_u64() == Some(152) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "all 152 rooms are listed by scrolling; {listed} are"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    app.find("button", "Service 1").await;
    app.close().await;
}

/// Puts `bytes` on the X clipboard as `target` (xclip's text types when `None`); xclip keeps
/// serving it in the background until another owner takes the clipboard.
fn copy_to_clipboard(display: &VirtualDisplay, target: Option<&str>, bytes: &[u8]) {
    let mut xclip = std::process::Command::new("xclip");
    xclip.args(["-selection", "clipboard", "-i"]);
    if let Some(target) = target {
        xclip.args(["-t", target]);
    }
    let mut copying = xclip
        .env("DISPLAY", display.name())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("xclip runs");
    std::io::Write::write_all(copying.stdin.as_mut().expect("xclip's input"), bytes)
        .expect("written to xclip");
    drop(copying.stdin.take());
    assert!(copying.wait().expect("xclip ends").success(), "copied");
}

/// The clipboard's text as another application would paste it; empty when it holds none.
fn read_clipboard(display: &VirtualDisplay) -> String {
    // Bounded: an owner that never answers must fail the test, not hang it.
    let output = std::process::Command::new("timeout")
        .args(["5", "xclip", "-selection", "clipboard", "-o"])
        .env("DISPLAY", display.name())
        .output()
        .expect("xclip runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Ctrl+V in alice's composer, as a person pastes.
async fn paste_into_composer(app: &AppWindow) {
    let composer = app.find("textbox", "Message to bob").await;
    app.click(&composer).await;
    app.press(&format!("{}v", Key::Control.code())).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sends_a_picture_and_a_pdf_and_saves_a_received_file_to_downloads() {
    let world = World::new("en").await;
    let files = tempfile::tempdir().expect("folder");
    let mut picture = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(1200, 900, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    }))
    .write_to(
        &mut std::io::Cursor::new(&mut picture),
        image::ImageFormat::Png,
    )
    .expect("encoded");
    let picture_path = files.path().join("plan du site.png");
    std::fs::write(&picture_path, &picture).expect("written");
    let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n".to_vec();
    let pdf_path = files.path().join("Note de service.pdf");
    std::fs::write(&pdf_path, &pdf).expect("written");
    let downloads = files.path().join("Téléchargements");
    let user_folders = estafette_e2e::downloads_folder_at(files.path(), &downloads);

    let mut environment = world.alice.environment(&world.display);
    environment.push((
        "ESTAFETTE_TEST_CHOSEN_FILES".into(),
        format!("{}\n{}", picture_path.display(), pdf_path.display()),
    ));
    environment.push(user_folders);
    let saved_as = files.path().join("carte enregistrée.png");
    environment.push((
        "ESTAFETTE_TEST_SAVE_AS".into(),
        saved_as.display().to_string(),
    ));
    let driver = TauriDriver::start(&environment);
    let app = driver
        .launch("sends_a_picture_and_a_pdf_and_saves_a_received_file_to_downloads")
        .await;
    world.sign_in(&app).await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    app.find("log", "Messages in bob").await;
    world.bob_says("Envoie-moi le plan").await;
    app.wait_for_text("Envoie-moi le plan").await;

    // Attach: the (answered) file dialog, then the preview with both files and a caption.
    app.click(&app.find("button", "Attach files").await).await;
    app.find("dialog", "Send to bob").await;
    app.wait_for_text("plan du site.png").await;
    app.wait_for_text("Note de service.pdf").await;
    let caption = app.find("textbox", "Caption (optional)").await;
    // Enter sends, as in the composer.
    app.type_into(&caption, &format!("Voici les deux{}", Key::Enter.code()))
        .await;
    app.wait_until_gone("dialog", "Send to bob").await;
    // The picture shows in alice's conversation, described by its caption.
    estafette_e2e::eventually("the picture in the conversation", || async {
        app.execute(
            "return !!document.querySelector('[role=log] img[alt=\"Voici les deux\"]');",
            serde_json::json!([]),
        )
        .await
        .as_bool()
        .filter(|shown| *shown)
    })
    .await;

    // bob's client receives both, whole.
    let bob_timeline = world.bob.timeline(&world.dm_id).await;
    let received = estafette_e2e::eventually("bob to receive both files", || async {
        let items = bob_timeline.items().await;
        let find = |name: &str| {
            items
                .iter()
                .filter_map(|item| item.as_event())
                .find_map(|event| match &event.content {
                    estafette_core::timeline::EventContent::Media(media) if media.name == name => {
                        event.event_id.clone().map(|id| (id, media.clone()))
                    }
                    _ => None,
                })
        };
        Some((find("plan du site.png")?, find("Note de service.pdf")?))
    })
    .await;
    let ((_, picture_summary), (pdf_event, _)) = received;
    assert_eq!(
        (picture_summary.width, picture_summary.height),
        (Some(1200), Some(900))
    );
    assert_eq!(picture_summary.caption.as_deref(), Some("Voici les deux"));
    let inbox = tempfile::tempdir().expect("folder");
    let saved = world
        .bob
        .account
        .media()
        .download(
            &world.dm_id,
            &pdf_event,
            estafette_core::media::SaveTo::Folder(inbox.path().to_owned()),
            |_| {},
        )
        .await
        .expect("bob saves the PDF");
    assert_eq!(std::fs::read(&saved.path).expect("read"), pdf);

    // bob sends a PDF back: a file card, downloaded into the Downloads folder.
    let agenda = b"%PDF-1.7\n% ordre du jour\n%%EOF\n".to_vec();
    let agenda_path = inbox.path().join("Ordre du jour.pdf");
    std::fs::write(&agenda_path, &agenda).expect("written");
    world.bob_sends_file(agenda_path).await;
    app.click(&app.find("button", "Download Ordre du jour.pdf").await)
        .await;
    app.wait_for_text("Saved as Ordre du jour.pdf in").await;
    assert_eq!(
        std::fs::read(downloads.join("Ordre du jour.pdf")).expect("in Downloads"),
        agenda
    );
    app.find("button", "Show in folder").await;

    // A picture from bob shows inline and opens in the viewer; Escape closes it and the focus
    // goes back to the picture.
    let map_path = inbox.path().join("carte.png");
    std::fs::write(&map_path, &picture).expect("written");
    world.bob_sends_file(map_path).await;
    let view = app.find("button", "View picture: carte.png").await;
    app.click(&view).await;
    app.find("dialog", "carte.png").await;
    app.wait_for_text("2 of 2").await;
    // "Save as…" writes where the (answered) dialog says.
    app.click(&app.find("button", "Save as…").await).await;
    app.wait_for_text("Saved as carte enregistrée.png").await;
    assert_eq!(std::fs::read(&saved_as).expect("saved"), picture);
    app.press(&Key::Escape.code().to_string()).await;
    app.wait_until_gone("dialog", "carte.png").await;
    let focused = app
        .execute(
            "return document.activeElement?.getAttribute('aria-label').replace(/[\\u2066-\\u2069]/g, '');",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(focused.as_str(), Some("View picture: carte.png"));

    // A video and a voice message play in the conversation, from the file the shell decrypted:
    // the player reads the video's length and seeks in it.
    let clip_path = inbox.path().join("visite.webm");
    std::fs::write(&clip_path, include_bytes!("../fixtures/clip.webm")).expect("written");
    world.bob_sends_file(clip_path).await;
    let note_path = inbox.path().join("message vocal.ogg");
    std::fs::write(&note_path, include_bytes!("../fixtures/note.ogg")).expect("written");
    world.bob_sends_file(note_path).await;
    let video = "document.querySelector('[role=log] video[aria-label*=\"visite.webm\"]')";
    let duration = estafette_e2e::eventually("the video's length", || async {
        app.execute(
            &format!("const p = {video}; return p && p.readyState >= 1 && isFinite(p.duration) ? p.duration : null;"),
            serde_json::json!([]),
        )
        .await
        .as_f64()
    })
    .await;
    assert!(
        (2.5..3.5).contains(&duration),
        "the video lasts 3 s: {duration} s"
    );
    app.execute(&format!("{video}.currentTime = 2;"), serde_json::json!([]))
        .await;
    estafette_e2e::eventually("the video to seek", || async {
        app.execute(
            &format!("const p = {video}; return !p.seeking && Math.abs(p.currentTime - 2) < 0.3;"),
            serde_json::json!([]),
        )
        .await
        .as_bool()
        .filter(|sought| *sought)
    })
    .await;
    // An Ogg voice message states no length up front (the player finds it by reading to the
    // end); that it loads and decodes is what the page can check.
    let note = "document.querySelector('[role=log] audio[aria-label*=\"message vocal.ogg\"]')";
    estafette_e2e::eventually("the voice message to load", || async {
        app.execute(
            &format!("const p = {note}; return !!p && p.readyState >= 1 && !p.error;"),
            serde_json::json!([]),
        )
        .await
        .as_bool()
        .filter(|loaded| *loaded)
    })
    .await;

    // A screenshot on the system's clipboard pastes into the composer: the same preview, then
    // bob receives the picture.
    let screenshot = png_of_one_colour(300, 200, [30, 120, 200]);
    copy_to_clipboard(&world.display, Some("image/png"), &screenshot);
    paste_into_composer(&app).await;
    app.find("dialog", "Send to bob").await;
    let caption = app.find("textbox", "Caption (optional)").await;
    app.type_into(&caption, &format!("Capture{}", Key::Enter.code()))
        .await;
    app.wait_until_gone("dialog", "Send to bob").await;
    let pasted = estafette_e2e::eventually("bob to receive the pasted picture", || async {
        bob_timeline
            .items()
            .await
            .iter()
            .filter_map(|item| item.as_event())
            .find_map(|event| match &event.content {
                estafette_core::timeline::EventContent::Media(media)
                    if media.caption.as_deref() == Some("Capture") =>
                {
                    Some(media.clone())
                }
                _ => None,
            })
    })
    .await;
    assert_eq!(
        pasted.media_kind,
        estafette_core::timeline::MediaKind::Image
    );
    assert_eq!((pasted.width, pasted.height), (Some(300), Some(200)));

    // Files copied in a file manager paste as those files.
    let minutes = inbox.path().join("Compte rendu de réunion.pdf");
    std::fs::write(&minutes, b"%PDF-1.7\n% compte rendu\n%%EOF\n").expect("written");
    let uri = url::Url::from_file_path(&minutes).expect("a file URI");
    copy_to_clipboard(
        &world.display,
        Some("text/uri-list"),
        format!("{uri}\r\n").as_bytes(),
    );
    paste_into_composer(&app).await;
    app.find("dialog", "Send to bob").await;
    app.wait_for_text("Compte rendu de réunion.pdf").await;
    let caption = app.find("textbox", "Caption (optional)").await;
    app.type_into(&caption, &Key::Enter.code().to_string())
        .await;
    app.wait_until_gone("dialog", "Send to bob").await;
    estafette_e2e::eventually("bob to receive the copied file", || async {
        bob_timeline
            .items()
            .await
            .iter()
            .filter_map(|item| item.as_event())
            .any(|event| {
                matches!(&event.content, estafette_core::timeline::EventContent::Media(media)
                    if media.name == "Compte rendu de réunion.pdf")
            })
            .then_some(())
    })
    .await;

    // Text still pastes as text.
    copy_to_clipboard(&world.display, None, "Réunion à 14 h".as_bytes());
    paste_into_composer(&app).await;
    estafette_e2e::eventually("the text pasted", || async {
        app.execute(
            "return document.querySelector('textarea').value;",
            serde_json::json!([]),
        )
        .await
        .as_str()
        .filter(|text| *text == "Réunion à 14 h")
        .map(ToOwned::to_owned)
    })
    .await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_window_stays_on_the_app_and_a_damaged_account_is_shown_with_retry_and_sign_out() {
    let test_name =
        "the_window_stays_on_the_app_and_a_damaged_account_is_shown_with_retry_and_sign_out";
    let (world, driver, app) = World::open("en", test_name).await;
    world.sign_in(&app).await;

    // What a hostile page would try, and what the context menu's "Open Link" and "Open Link
    // in New Window" do: none of it leaves the app or opens a window.
    app.execute(
        "window.open('https://example.org/', '_blank'); \
         setTimeout(() => location.assign('https://example.org/'), 0); return null;",
        serde_json::json!([]),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let origin = app
        .execute(
            "return location.protocol + '//' + location.host;",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(origin.as_str(), Some("tauri://localhost"));
    app.find("navigation", "Conversations").await;
    app.find("button", "bob").await;
    app.close().await;

    // The store is damaged between two starts: the account is named, with why, not dropped.
    let account_dir = std::fs::read_dir(world.alice.data_dir.path().join("accounts"))
        .expect("accounts folder")
        .next()
        .expect("alice's folder")
        .expect("entry")
        .path();
    let store = account_dir.join("store");
    let kept = account_dir.join("store.kept");
    std::fs::rename(&store, &kept).expect("store moved aside");
    std::fs::create_dir(&store).expect("store folder");
    std::fs::write(store.join("matrix-sdk-state.sqlite3"), vec![0x5a; 8192]).expect("damaged");

    let app = driver.launch(test_name).await;
    app.find("heading", "An account could not be opened").await;
    let alice = world.server.user_id("alice");
    app.find_containing("listitem", &format!("{alice} could not be opened"))
        .await;
    let retry = app.find("button", &format!("Retry opening {alice}")).await;
    app.click(&retry).await;
    // The button is disabled while the retry runs: the store must not be repaired under it,
    // or the retry succeeds and this step proves nothing.
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.property(&retry, "disabled").await.as_bool() != Some(false) {
        assert!(Instant::now() < deadline, "the retry never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.find("heading", "An account could not be opened").await;

    // Repaired, "Retry" opens it with its rooms.
    std::fs::remove_dir_all(&store).expect("damaged store removed");
    std::fs::rename(&kept, &store).expect("store back");
    app.click(&app.find("button", &format!("Retry opening {alice}")).await)
        .await;
    app.wait_until_gone("heading", "An account could not be opened")
        .await;
    app.find("navigation", "Conversations").await;
    app.find("button", "bob").await;
    app.close().await;

    // Damaged again, "Sign out" makes this computer forget it.
    std::fs::write(store.join("matrix-sdk-state.sqlite3"), vec![0x5a; 8192]).expect("damaged");
    let app = driver.launch(test_name).await;
    app.click(&app.find("button", &format!("Sign out of {alice}")).await)
        .await;
    app.click(&app.find("button", "Sign out").await).await;
    app.wait_until_gone("heading", "An account could not be opened")
        .await;
    app.find("button", "Sign in").await;
    assert!(!account_dir.exists(), "the account's data is gone");
    app.close().await;
}

/// Drafts keep what the user was doing, and only that: a reply chosen and left before typing
/// is still there on coming back; an edit cancelled does not come back as an edit.
#[tokio::test(flavor = "multi_thread")]
async fn a_reply_chosen_is_kept_and_a_cancelled_edit_is_not() {
    let (world, _driver, app) =
        World::open("en", "a_reply_chosen_is_kept_and_a_cancelled_edit_is_not").await;
    world.sign_in(&app).await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    let composer = app.find("textbox", "Message to bob").await;
    world.bob_says("Point A").await;
    app.wait_for_text("Point A").await;

    // A reply chosen, then another room, then back: still replying.
    app.click(&app.find("button", "Options for the message from bob").await)
        .await;
    app.click(&app.find("menuitem", "Reply").await).await;
    app.find("button", "Cancel the reply").await;
    app.click(&app.find("button", "Équipe projet").await).await;
    app.find("button", "Accept").await;
    app.click(&app.find("button", "bob").await).await;
    app.find("button", "Cancel the reply").await;
    app.click(&app.find("button", "Cancel the reply").await)
        .await;

    // Her own message edited with Up, the edit cancelled with Escape, then another room and
    // back: no edit in progress, the composer empty.
    let composer_again = app.find("textbox", "Message to bob").await;
    app.type_into(&composer_again, "Premier jet").await;
    app.type_into(&composer_again, &Key::Enter.code().to_string())
        .await;
    app.wait_for_text("Premier jet").await;
    app.press(&Key::ArrowUp.code().to_string()).await;
    app.find("button", "Cancel editing").await;
    app.press(&Key::Escape.code().to_string()).await;
    app.wait_until_gone("button", "Cancel editing").await;
    app.click(&app.find("button", "Équipe projet").await).await;
    app.find("button", "Accept").await;
    app.click(&app.find("button", "bob").await).await;
    let composer_back = app.find("textbox", "Message to bob").await;
    // The draft is read back before the composer shows; give a stale edit its chance to
    // appear before saying it did not.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(app.count("button", "Cancel editing").await, 0);
    assert_eq!(app.value(&composer_back).await, "");
    drop(composer);
    app.close().await;
}
