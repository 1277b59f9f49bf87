//! Everyday gestures between two real clients in an encrypted room on a real Synapse: each one
//! made on one side is seen on the other (issue 12).

#![recursion_limit = "256"]

mod common;

use common::*;
use estafette_core::timeline::{
    Draft, DraftKind, EventContent, Mention, OutgoingMessage, Quote, TimelineEvent, TimelineItem,
    TimelineItemKind,
};

fn event_with<'a>(items: &'a [TimelineItem], body: &str) -> Option<&'a TimelineEvent> {
    items
        .iter()
        .filter_map(TimelineItem::as_event)
        .find(|event| event.content.summary() == body)
}

fn event_id_of(items: &[TimelineItem], body: &str) -> String {
    event_with(items, body)
        .and_then(|event| event.event_id.clone())
        .unwrap_or_else(|| panic!("{body:?} has an event ID"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_edit_react_delete_mention_and_receipts_cross_to_the_other_side() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = encrypted_dm(&alice, &bob).await;
    let (alice_timeline, mut alice_view) = open_timeline(&alice, &room_id).await;
    let (bob_timeline, mut bob_view) = open_timeline(&bob, &room_id).await;

    // The transaction ID returned is the local echo's, at once.
    let transaction_id = alice_timeline
        .send_markdown("Le dossier est prêt")
        .await
        .expect("queued");
    alice_view
        .until("the local echo with its transaction ID", |items| {
            items
                .iter()
                .filter_map(TimelineItem::as_event)
                .any(|event| event.transaction_id.as_deref() == Some(transaction_id.as_str()))
        })
        .await;
    bob_view
        .until("Bob to get the message", |items| {
            event_with(items, "Le dossier est prêt").is_some()
        })
        .await;
    let original = event_id_of(&bob_view.items, "Le dossier est prêt");

    // Reply: the relation and the quoted sender cross; the fallback never shows.
    bob_timeline
        .send(OutgoingMessage {
            markdown: "Merci, je regarde".to_owned(),
            reply_to: Some(original.clone()),
            ..OutgoingMessage::default()
        })
        .await
        .expect("reply queued");
    alice_view
        .until("Alice to see the reply with its quote", |items| {
            event_with(items, "Merci, je regarde").is_some_and(|reply| {
                reply.reply_to.as_ref().is_some_and(|reply_to| {
                    reply_to.event_id == original
                        && matches!(&reply_to.quote, Quote::Ready { message }
                            if message.sender.user_id == alice.user_id()
                            && message.content.summary() == "Le dossier est prêt")
                })
            })
        })
        .await;

    // Edit: the other side shows the new text, marked edited, in the same place.
    assert!(
        event_with(&alice_view.items, "Le dossier est prêt").is_some_and(|event| event.can_edit)
    );
    assert!(
        event_with(&bob_view.items, "Le dossier est prêt").is_some_and(|event| !event.can_edit),
        "Bob cannot edit Alice's message"
    );
    alice_timeline
        .edit(
            &original,
            OutgoingMessage::markdown("Le dossier est prêt et signé"),
        )
        .await
        .expect("edit sent");
    bob_view
        .until("Bob to see the edit", |items| {
            event_with(items, "Le dossier est prêt et signé").is_some_and(|event| {
                event.is_edited && event.event_id.as_deref() == Some(original.as_str())
            }) && event_with(items, "Le dossier est prêt").is_none()
        })
        .await;

    // View source: decrypted with its latest edit, and as the server holds it, encrypted.
    let source = bob_timeline.source(&original).await.expect("source");
    assert!(source.was_encrypted);
    assert_eq!(source.event_id.as_deref(), Some(original.as_str()));
    assert!(
        source
            .json
            .as_deref()
            .is_some_and(|json| json.contains("Le dossier est prêt"))
    );
    assert!(
        source
            .latest_edit_json
            .as_deref()
            .is_some_and(|json| json.contains("signé"))
    );
    let encrypted = source
        .encrypted_json
        .expect("the encrypted form, from the server");
    assert!(
        encrypted.contains("m.room.encrypted")
            && encrypted.contains("m.megolm.v1.aes-sha2")
            && !encrypted.contains("dossier"),
        "{encrypted}"
    );

    // Reactions: counts go up on both sides, then down when taken back.
    assert!(
        bob_timeline
            .toggle_reaction(&original, "👍")
            .await
            .expect("reaction sent")
    );
    alice_timeline
        .toggle_reaction(&original, "👍")
        .await
        .expect("reaction sent");
    let thumbs_up_by_both = |items: &[TimelineItem], own: bool| {
        event_with(items, "Le dossier est prêt et signé").is_some_and(|event| {
            event.reactions.iter().any(|reaction| {
                reaction.key == "👍" && reaction.senders.len() == 2 && reaction.mine == own
            })
        })
    };
    alice_view
        .until("Alice to count two reactions", |items| {
            thumbs_up_by_both(items, true)
        })
        .await;
    bob_view
        .until("Bob to count two reactions", |items| {
            thumbs_up_by_both(items, true)
        })
        .await;
    assert!(
        !bob_timeline
            .toggle_reaction(&original, "👍")
            .await
            .expect("reaction taken back")
    );
    alice_view
        .until("Alice to count one reaction, hers", |items| {
            event_with(items, "Le dossier est prêt et signé").is_some_and(|event| {
                event.reactions.len() == 1
                    && event.reactions[0].senders == vec![alice.user_id().to_owned()]
                    && event.reactions[0].mine
            })
        })
        .await;

    // Mention: intentional, and highlighted for the one mentioned only.
    bob_timeline
        .send(OutgoingMessage {
            markdown: "@alice peux-tu valider ?".to_owned(),
            mentions: vec![Mention {
                label: "@alice".to_owned(),
                user_id: alice.user_id().to_string(),
            }],
            ..OutgoingMessage::default()
        })
        .await
        .expect("mention queued");
    alice_view
        .until("Alice to see the mention highlighted", |items| {
            items
                .iter()
                .filter_map(TimelineItem::as_event)
                .find(|event| event.content.summary().contains("peux-tu valider"))
                .is_some_and(|event| event.mentions_me)
        })
        .await;
    let mention_in_bobs_view = bob_view
        .items
        .iter()
        .filter_map(TimelineItem::as_event)
        .find(|event| event.content.summary().contains("peux-tu valider"));
    assert!(mention_in_bobs_view.is_none_or(|event| !event.mentions_me));
    // As written in the text, a link to her in the formatted body, and named in `m.mentions`.
    let received = alice_view
        .items
        .iter()
        .filter_map(TimelineItem::as_event)
        .find(|event| event.content.summary() == "@alice peux-tu valider ?")
        .expect("the mention's text as written");
    assert!(
        matches!(&received.content, EventContent::Text { html: Some(html), .. }
            if html.contains(&format!("https://matrix.to/#/{}", alice.user_id()))),
        "{:?}",
        received.content
    );
    assert_eq!(received.mentioned, [alice.user_id().to_string()]);

    // Read receipts: Alice reads down to the mention; Bob sees her receipt there.
    alice_view
        .until("the mention to have its event ID", |items| {
            items
                .iter()
                .filter_map(TimelineItem::as_event)
                .any(|event| {
                    event.content.summary().contains("peux-tu valider") && event.event_id.is_some()
                })
        })
        .await;
    let mention_id = alice_view
        .items
        .iter()
        .filter_map(TimelineItem::as_event)
        .find(|event| event.content.summary().contains("peux-tu valider"))
        .and_then(|event| event.event_id.clone())
        .expect("event ID");
    alice_timeline
        .mark_read_up_to(&mention_id)
        .await
        .expect("receipts sent");
    bob_view
        .until("Bob to see Alice's receipt on the mention", |items| {
            items
                .iter()
                .filter_map(TimelineItem::as_event)
                .find(|event| event.event_id.as_deref() == Some(mention_id.as_str()))
                .is_some_and(|event| event.read_by.contains(&alice.user_id().to_owned()))
        })
        .await;

    // The read marker moved with it: a conversation opened afresh puts "new messages" right
    // after the mention, before what came later.
    bob_timeline
        .send_markdown("après lecture")
        .await
        .expect("queued");
    alice_view
        .until("Alice to get the later message", |items| {
            event_with(items, "après lecture").is_some()
        })
        .await;
    let reopened = alice.timeline(&room_id).await.expect("opened again");
    let items = reopened.items().await;
    let marker = items
        .iter()
        .position(|item| matches!(item.kind, TimelineItemKind::ReadMarker))
        .expect("a read marker");
    let mention_at = items
        .iter()
        .position(|item| {
            item.as_event()
                .is_some_and(|event| event.event_id.as_deref() == Some(mention_id.as_str()))
        })
        .expect("the mention");
    assert_eq!(
        marker,
        mention_at + 1,
        "the marker follows the message read last"
    );
    drop(reopened);

    // Delete, with a reason: the content is gone on the other side.
    alice_timeline
        .redact(&original, Some("mauvais dossier"))
        .await
        .expect("deleted");
    bob_view
        .until("Bob to see the message deleted", |items| {
            items
                .iter()
                .filter_map(TimelineItem::as_event)
                .find(|event| event.event_id.as_deref() == Some(original.as_str()))
                .is_some_and(|event| {
                    event.content == EventContent::Redacted && event.reactions.is_empty()
                })
        })
        .await;
    assert!(
        !bob_view
            .items
            .iter()
            .filter_map(TimelineItem::as_event)
            .any(|event| event.content.summary().contains("signé")),
        "no trace of the deleted text"
    );
    assert!(
        bob_timeline
            .redact("$not-in-this-room", None)
            .await
            .is_err(),
        "an unknown message is refused, not a panic"
    );
}

/// Reads typing updates until one satisfies `wanted`.
/// Reads `subscription` until a value meets `wanted`.
async fn until_seen<T: Send + 'static>(
    subscription: &mut estafette_core::Subscription<T>,
    what: &str,
    wanted: impl Fn(&T) -> bool,
) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, subscription.next()).await {
            Ok(Some(value)) if wanted(&value) => return value,
            Ok(Some(_)) => {}
            Ok(None) => panic!("the subscription ended before {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

async fn until_typing(
    typing: &mut estafette_core::Subscription<Vec<String>>,
    what: &str,
    wanted: impl Fn(&[String]) -> bool,
) {
    until_seen(typing, what, |user_ids| wanted(user_ids)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_and_rights_change_while_the_conversation_is_open() {
    let hs = start_server().await;
    // Carol runs the room from another client (plain HTTP), alice has it open in hers.
    let carol = hs
        .register_user("carol", PASSWORD, false)
        .await
        .expect("carol registered");
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let room_id = hs
        .create_room(&carol, "Cellule budget", &[alice.user_id()])
        .await
        .expect("carol creates the room");
    accept_invite_once_it_arrives(&alice, &room_id).await;
    let (alice_timeline, _alice_view) = open_timeline(&alice, &room_id).await;

    let mut members = alice_timeline.watch_members();
    let mut permissions = alice_timeline.watch_permissions();
    until_seen(&mut members, "alice and carol in the room", |members| {
        members.iter().any(|member| member.user_id == carol.user_id)
            && members
                .iter()
                .any(|member| member.user_id == alice.user_id())
    })
    .await;
    let before = until_seen(&mut permissions, "alice's rights as a member", |_| true).await;
    assert!(before.send_messages && before.delete_own);
    assert!(!before.delete_others && !before.mention_room);

    // Someone invited shows at once, for `@` mentions.
    hs.register_user("dave", PASSWORD, false)
        .await
        .expect("dave registered");
    let dave = hs.user_id("dave");
    hs.send_state(
        &carol,
        &room_id,
        "m.room.member",
        &dave,
        serde_json::json!({ "membership": "invite" }),
    )
    .await
    .expect("carol invites dave");
    until_seen(&mut members, "dave invited", |members| {
        members
            .iter()
            .any(|member| member.user_id == dave && !member.joined)
    })
    .await;

    // Made moderator: she may now delete others' messages and notify everyone.
    // Carol, who created the room, is left out: from room version 12 a creator's power is
    // not in the list (and before, she needs none once the change is made).
    let mut users = serde_json::Map::new();
    users.insert(alice.user_id().to_string(), 50.into());
    hs.send_state(
        &carol,
        &room_id,
        "m.room.power_levels",
        "",
        serde_json::json!({ "users": users }),
    )
    .await
    .expect("carol makes alice a moderator");
    until_seen(&mut permissions, "alice's rights as a moderator", |now| {
        now.delete_others && now.mention_room
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_is_seen_and_a_thread_reply_stays_in_its_thread() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = encrypted_dm(&alice, &bob).await;
    let (alice_timeline, mut alice_view) = open_timeline(&alice, &room_id).await;
    let (bob_timeline, mut bob_view) = open_timeline(&bob, &room_id).await;

    let mut typing = alice_timeline.typing();
    bob_timeline.set_typing(true).await;
    until_typing(&mut typing, "Alice to see Bob typing", |user_ids| {
        user_ids.contains(&bob.user_id().to_owned())
    })
    .await;
    bob_timeline.set_typing(false).await;
    until_typing(
        &mut typing,
        "Alice to see Bob stop typing",
        <[String]>::is_empty,
    )
    .await;

    alice_timeline
        .send_markdown("Ordre du jour de lundi")
        .await
        .expect("queued");
    bob_view
        .until("Bob to get the thread's first message", |items| {
            event_with(items, "Ordre du jour de lundi")
                .is_some_and(|event| event.event_id.is_some())
        })
        .await;
    let root = event_id_of(&bob_view.items, "Ordre du jour de lundi");
    let bob_thread = bob.thread(&room_id, &root).await.expect("thread opened");
    bob_thread
        .send_markdown("J'ajoute le budget")
        .await
        .expect("thread reply queued");

    alice_view
        .until("Alice to see the thread summary", |items| {
            event_with(items, "Ordre du jour de lundi")
                .and_then(|event| event.thread.as_ref())
                .is_some_and(|thread| thread.replies == 1)
        })
        .await;
    assert!(
        event_with(&alice_view.items, "J'ajoute le budget").is_none(),
        "a thread reply is not in the main timeline"
    );
    let alice_thread = alice.thread(&room_id, &root).await.expect("thread opened");
    let mut alice_thread_view = LiveList::new(alice_thread.subscribe());
    let mut paginated = 0;
    loop {
        alice_thread_view.next_batch().await;
        alice_thread_view.apply_pending();
        if event_with(&alice_thread_view.items, "J'ajoute le budget").is_some() {
            break;
        }
        assert!(paginated < 20, "the reply never showed in the thread");
        let _ = alice_thread.paginate_backwards(20).await;
        paginated += 1;
    }
    let reply = event_with(&alice_thread_view.items, "J'ajoute le budget").expect("in the thread");
    assert_eq!(reply.thread_root.as_deref(), Some(root.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_and_the_reply_it_is_survive_a_restart() {
    let hs = start_server().await;
    let (alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = encrypted_dm(&bob, &alice).await;
    let (bob_timeline, _bob_view) = open_timeline(&bob, &room_id).await;
    bob_timeline
        .send_markdown("Tu viens demain ?")
        .await
        .expect("queued");
    let (alice_timeline, mut alice_view) = open_timeline(&alice, &room_id).await;
    alice_view
        .until("Alice to get Bob's question", |items| {
            event_with(items, "Tu viens demain ?").is_some_and(|event| event.event_id.is_some())
        })
        .await;
    let question = event_id_of(&alice_view.items, "Tu viens demain ?");
    // With a person picked from the list: the mention survives too.
    let draft = Draft {
        text: "Oui, vers 10 h avec @Bob".to_owned(),
        mentions: vec![Mention {
            label: "@Bob".to_owned(),
            user_id: "@bob:localhost".to_owned(),
        }],
        kind: DraftKind::Reply {
            event_id: question.clone(),
        },
    };
    alice_timeline
        .save_draft(draft.clone())
        .await
        .expect("draft kept");
    assert!(
        alice_timeline
            .save_draft(Draft {
                text: "x".to_owned(),
                mentions: Vec::new(),
                kind: DraftKind::Edit {
                    event_id: "not an event".to_owned()
                },
            })
            .await
            .is_err(),
        "a bad reference is refused"
    );
    assert_eq!(
        alice_timeline.draft().await.expect("read"),
        Some(draft.clone()),
        "a refused draft replaces nothing"
    );

    // A thread keeps its own draft, beside the room's: here an edit of her answer in it.
    let thread = alice.thread(&room_id, &question).await.expect("thread");
    let mut thread_view = LiveList::new(thread.subscribe());
    thread
        .send_markdown("Je confirme ce soir")
        .await
        .expect("queued in the thread");
    thread_view
        .until("her answer in the thread, on the server", |items| {
            event_with(items, "Je confirme ce soir").is_some_and(|event| event.event_id.is_some())
        })
        .await;
    let her_message = event_id_of(&thread_view.items, "Je confirme ce soir");
    let thread_draft = Draft {
        text: "Je confirme demain matin".to_owned(),
        mentions: Vec::new(),
        kind: DraftKind::Edit {
            event_id: her_message,
        },
    };
    thread
        .save_draft(thread_draft.clone())
        .await
        .expect("thread draft kept");
    assert_eq!(
        alice_timeline.draft().await.expect("read"),
        Some(draft.clone()),
        "the room's draft is not the thread's"
    );
    drop((thread_view, thread));

    alice_device.manager.shut_down().await;
    drop((alice_view, alice_timeline, alice));
    let manager = alice_device.reopen();
    let alice = manager
        .restore_all()
        .await
        .expect("index read")
        .into_iter()
        .next()
        .and_then(|(_, account)| account.ok())
        .expect("Alice restored");
    let timeline = alice.timeline(&room_id).await.expect("timeline");
    assert_eq!(timeline.draft().await.expect("read"), Some(draft));
    let thread = alice.thread(&room_id, &question).await.expect("thread");
    assert_eq!(thread.draft().await.expect("read"), Some(thread_draft));
    timeline
        .save_draft(Draft {
            text: "  ".to_owned(),
            mentions: Vec::new(),
            kind: DraftKind::New,
        })
        .await
        .expect("cleared");
    assert_eq!(timeline.draft().await.expect("read"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_and_mention_counts_follow_reading_on_another_device() {
    let hs = start_server().await;
    let (_alice_laptop, alice) = new_user(&hs, "alice").await;
    let alice_workstation_device = Device::new();
    let alice_workstation = alice_workstation_device.sign_in(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = room_with_invite(&bob, "Cellule de crise", &alice).await;
    accept_invite_once_it_arrives(&alice, &room_id).await;
    let (bob_timeline, _bob_view) = open_timeline(&bob, &room_id).await;
    eventually("alice to be in the room for bob", || async {
        bob.rooms().members(&room_id).await.ok().filter(|members| {
            members
                .iter()
                .any(|member| member.user_id == alice.user_id() && member.joined)
        })
    })
    .await;

    bob_timeline
        .send_markdown("Point à 14 h")
        .await
        .expect("queued");
    bob_timeline
        .send(OutgoingMessage {
            markdown: "@alice tu confirmes ?".to_owned(),
            mentions: vec![Mention {
                label: "@alice".to_owned(),
                user_id: alice.user_id().to_string(),
            }],
            ..OutgoingMessage::default()
        })
        .await
        .expect("queued");
    // Both of alice's devices count two unread messages, one of them a mention.
    for (device, account) in [("laptop", &alice), ("workstation", &alice_workstation)] {
        eventually(&format!("the counts on alice's {device}"), || async {
            account
                .rooms()
                .summary(&room_id)
                .await
                .filter(|room| room.unread_messages == 2 && room.unread_mentions == 1)
        })
        .await;
    }

    // She reads on her laptop; the workstation's counts go to zero.
    let (alice_timeline, mut alice_view) = open_timeline(&alice, &room_id).await;
    alice_view
        .until("the mention on the laptop", |items| {
            items
                .iter()
                .filter_map(TimelineItem::as_event)
                .any(|event| event.mentions_me && event.event_id.is_some())
        })
        .await;
    alice_timeline
        .send_read_receipt()
        .await
        .expect("receipt sent");
    eventually("the workstation to count nothing unread", || async {
        alice_workstation
            .rooms()
            .summary(&room_id)
            .await
            .filter(|room| room.unread_messages == 0 && room.unread_mentions == 0)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_opened_around_an_old_message_pages_both_ways_to_the_present() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = encrypted_dm(&bob, &alice).await;
    let (bob_timeline, _bob_view) = open_timeline(&bob, &room_id).await;
    let (_alice_timeline, mut alice_view) = open_timeline(&alice, &room_id).await;
    bob_timeline.send_markdown("Le plan").await.expect("queued");
    for number in 1..=150 {
        bob_timeline
            .send_markdown(&format!("Ligne {number}"))
            .await
            .expect("queued");
    }
    alice_view
        .until("Alice to get the last line", |items| {
            event_with(items, "Ligne 150").is_some()
        })
        .await;
    let plan = eventually("the plan's event ID", || async {
        bob_timeline
            .items()
            .await
            .iter()
            .filter_map(TimelineItem::as_event)
            .find(|event| event.content.summary() == "Le plan")
            .and_then(|event| event.event_id.clone())
    })
    .await;

    let around = alice
        .timeline_around(&room_id, &plan)
        .await
        .expect("the history around the plan");
    let mut view = LiveList::new(around.subscribe());
    view.until("the plan, decrypted, with what followed it", |items| {
        event_with(items, "Le plan").is_some() && event_with(items, "Ligne 10").is_some()
    })
    .await;
    assert!(
        event_with(&view.items, "Ligne 150").is_none(),
        "the present is not loaded yet"
    );
    let mut pages = 0;
    while !around.paginate_forwards(50).await.expect("newer page") {
        pages += 1;
        assert!(pages < 20, "the present never reached");
    }
    view.until("the last line, once the present is reached", |items| {
        event_with(items, "Ligne 150").is_some()
    })
    .await;

    assert!(matches!(
        alice.timeline_around(&room_id, "$absent:localhost").await,
        Err(estafette_core::timeline::TimelineError::EventNotFound(_))
    ));
}
