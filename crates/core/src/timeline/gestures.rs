//! What a person does to a conversation: write (with mentions, in answer to a message), edit,
//! delete, react; and what others learn of it: that they are typing, how far they have read.
//!
//! Messages are named by their event ID, or by their transaction ID while they are only
//! local echoes (an event ID always starts with `$`, a transaction ID never does).

use matrix_sdk::{
    config::RequestConfig,
    room::{
        Receipts,
        edit::EditedContent,
        reply::{EnforceThread, Reply},
    },
    ruma::{
        EventId, OwnedTransactionId, TransactionId,
        api::client::{receipt::create_receipt::v3::ReceiptType, room::get_room_event},
        events::room::message::{
            AddMentions, FormattedBody, MessageType, ReplyWithinThread,
            RoomMessageEventContentWithoutRelation,
        },
    },
};
use matrix_sdk_ui::timeline::{EventTimelineItem, TimelineEventItemId};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tracing::{instrument, warn};

use super::{Mention, RoomTimeline, TimelineError, mentions, parse_event_id};
use crate::Subscription;

/// A message to send: Markdown, the people it mentions on purpose, and what it answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OutgoingMessage {
    /// As written, people picked from the `@` list shown by their label.
    pub markdown: String,
    /// The people picked from the `@` list; those whose label is still in the text are linked
    /// and notified (`m.mentions`), as is anyone linked to by hand.
    #[serde(default)]
    pub mentions: Vec<Mention>,
    /// `@room` was picked: notifies everyone in the room if still written; refused by the
    /// server unless the sender may.
    #[serde(default)]
    pub mentions_room: bool,
    /// The event ID of the message answered.
    #[serde(default)]
    pub reply_to: Option<String>,
}

impl OutgoingMessage {
    pub fn markdown(markdown: &str) -> Self {
        Self {
            markdown: markdown.to_owned(),
            ..Self::default()
        }
    }
}

/// An event as the server holds it, for "View source".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EventSource {
    pub event_id: Option<String>,
    /// The event as received, pretty-printed JSON; decrypted when it was encrypted.
    pub json: Option<String>,
    /// The latest edit, when there is one.
    pub latest_edit_json: Option<String>,
    pub was_encrypted: bool,
    /// The encrypted event as the server holds it, when it was encrypted and the server could
    /// be asked (the SDK keeps only the decrypted form).
    pub encrypted_json: Option<String>,
}

/// JSON indented for reading; as received when it does not parse (it came from the network).
fn pretty_json(json: &RawValue) -> String {
    serde_json::from_str::<serde_json::Value>(json.get())
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or_else(|_| json.get().to_owned())
}

impl RoomTimeline {
    /// Queues a message written in Markdown; see [`Self::send`].
    pub async fn send_markdown(&self, markdown: &str) -> Result<String, TimelineError> {
        self.send(OutgoingMessage::markdown(markdown)).await
    }

    /// Queues a message. It appears at once as a local echo carrying the returned
    /// transaction ID, and is sent (and encrypted) by the SDK's persistent queue, surviving
    /// restarts and offline periods. In a thread's timeline it goes into the thread.
    #[instrument(skip_all, fields(room_id = %self.room_id))]
    pub async fn send(&self, message: OutgoingMessage) -> Result<String, TimelineError> {
        let content = self.content_of(&message)?;
        let room = self.slot.room.clone();
        let content = match &message.reply_to {
            Some(event_id) => {
                let reply = Reply {
                    event_id: parse_event_id(event_id)?,
                    enforce_thread: if self.thread_root.is_some() {
                        EnforceThread::Threaded(ReplyWithinThread::Yes)
                    } else {
                        EnforceThread::MaybeThreaded
                    },
                    add_mentions: AddMentions::Yes,
                };
                room.make_reply_event(content, reply)
                    .await
                    .map_err(|error| TimelineError::Reply(error.to_string()))?
            }
            None => content.with_relation(None),
        };
        let timeline = self.slot.timeline();
        super::queued(&room, timeline.send(content.into()))
            .await
            .map_err(TimelineError::Send)
    }

    /// The message's content, mentions included: always set, so that receiving clients
    /// notify only the people named (an empty set means nobody), not whoever's name appears.
    fn content_of(
        &self,
        message: &OutgoingMessage,
    ) -> Result<RoomMessageEventContentWithoutRelation, TimelineError> {
        let (markdown, mentions) =
            mentions::written(&message.markdown, &message.mentions, message.mentions_room)?;
        // The plain body keeps the labels as written ("@Anne"), which is what a notification
        // or a room list shows; the links to the people are in the formatted body.
        let content = match FormattedBody::markdown(&markdown) {
            Some(html) if markdown != message.markdown => {
                RoomMessageEventContentWithoutRelation::text_html(&message.markdown, html.body)
            }
            _ => RoomMessageEventContentWithoutRelation::text_markdown(&message.markdown),
        };
        Ok(content.add_mentions(mentions))
    }

    /// Replaces the text of one of this user's messages (the caption of a file).
    #[instrument(skip_all, fields(room_id = %self.room_id))]
    pub async fn edit(&self, target: &str, message: OutgoingMessage) -> Result<(), TimelineError> {
        let item = self.event_item(target).await?;
        let content = self.content_of(&message)?;
        let is_media = item.content().as_message().is_some_and(|current| {
            matches!(
                current.msgtype(),
                MessageType::Image(_)
                    | MessageType::Video(_)
                    | MessageType::Audio(_)
                    | MessageType::File(_)
            )
        });
        let edited = if is_media {
            let (caption, formatted_caption) = match &content.msgtype {
                MessageType::Text(text) => (Some(text.body.clone()), text.formatted.clone()),
                _ => (None, None),
            };
            EditedContent::MediaCaption {
                caption,
                formatted_caption,
                mentions: content.mentions.clone(),
            }
        } else {
            EditedContent::RoomMessage(content)
        };
        self.slot
            .timeline()
            .edit(&item.identifier(), edited)
            .await
            .map_err(|error| TimelineError::Edit(error.to_string()))
    }

    /// Deletes a message for everyone ("Message deleted" is left), with an optional reason.
    /// A message not sent yet is simply withdrawn.
    #[instrument(skip_all, fields(room_id = %self.room_id))]
    pub async fn redact(&self, target: &str, reason: Option<&str>) -> Result<(), TimelineError> {
        let item = self.event_item(target).await?;
        let reason = reason.map(str::trim).filter(|reason| !reason.is_empty());
        self.slot
            .timeline()
            .redact(&item.identifier(), reason)
            .await
            .map_err(|error| TimelineError::Redact(error.to_string()))
    }

    /// Adds this user's reaction `key`, or takes it back if they gave it. Returns whether it
    /// is now given.
    #[instrument(skip_all, fields(room_id = %self.room_id))]
    pub async fn toggle_reaction(&self, target: &str, key: &str) -> Result<bool, TimelineError> {
        if key.is_empty() {
            return Err(TimelineError::React("an empty reaction".to_owned()));
        }
        let item = self.event_item(target).await?;
        self.slot
            .timeline()
            .toggle_reaction(&item.identifier(), key)
            .await
            .map_err(|error| TimelineError::React(error.to_string()))
    }

    /// Fetches the message a reply quotes when it is not in the loaded part of the
    /// conversation; the reply's item is updated once it arrives.
    pub async fn load_quote(&self, reply_event_id: &str) -> Result<(), TimelineError> {
        let event_id = parse_event_id(reply_event_id)?;
        self.slot
            .timeline()
            .fetch_details_for_event(&event_id)
            .await
            .map_err(|error| TimelineError::Reply(error.to_string()))
    }

    /// The event decrypted, and as the server holds it: encrypted, asked again of the server
    /// since the SDK keeps only the decrypted form (as Element's "Original event source").
    pub async fn source(&self, target: &str) -> Result<EventSource, TimelineError> {
        let item = self.event_item(target).await?;
        let was_encrypted = item.encryption_info().is_some();
        let encrypted_json = match item.event_id() {
            Some(event_id) if was_encrypted => self.encrypted_source(event_id).await,
            _ => None,
        };
        Ok(EventSource {
            event_id: item.event_id().map(ToString::to_string),
            json: item.original_json().map(|raw| pretty_json(raw.json())),
            latest_edit_json: item.latest_edit_json().map(|raw| pretty_json(raw.json())),
            was_encrypted,
            encrypted_json,
        })
    }

    /// The event as the server sends it, not decrypted; `None` when the server cannot be
    /// reached or refuses (the decrypted form is still shown).
    async fn encrypted_source(&self, event_id: &EventId) -> Option<String> {
        let request = get_room_event::v3::Request::new(self.room_id.clone(), event_id.to_owned());
        let client = self.slot.room.client();
        // A few retries, not the default's quarter of an hour, while the dialog waits.
        match client
            .send(request)
            .with_request_config(RequestConfig::short_retry())
            .await
        {
            Ok(response) => Some(pretty_json(response.event.json())),
            Err(error) => {
                warn!(%error, "the encrypted form of an event could not be fetched");
                None
            }
        }
    }

    /// Tells the others that this user is typing, or stopped. Call it on every change of the
    /// composer: the SDK sends at most one notice every few seconds.
    pub async fn set_typing(&self, typing: bool) {
        if let Err(error) = self.slot.room.typing_notice(typing).await {
            // Best effort, as in every client: nothing is lost when one does not go out.
            warn!(%error, "the typing notice was not sent");
        }
    }

    /// Who else is typing in the room, as user IDs: the current list first, then each
    /// change.
    pub fn typing(&self) -> Subscription<Vec<String>> {
        let room = self.slot.room.clone();
        Subscription::spawn(|sender| async move {
            // Dropping the guard removes the SDK's handler: it lives as long as the task.
            let (_guard, mut updates) = room.subscribe_to_typing_notifications();
            if !sender.send(Vec::new()) {
                return;
            }
            loop {
                match updates.recv().await {
                    Ok(user_ids) => {
                        let user_ids = user_ids.iter().map(ToString::to_string).collect();
                        if !sender.send(user_ids) {
                            return;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        })
    }

    /// Moves this user's read receipt and read marker ("fully read") to `event_id`, as the
    /// person reads down to it. Never moves them back.
    #[instrument(skip(self), fields(room_id = %self.room_id))]
    pub async fn mark_read_up_to(&self, event_id: &str) -> Result<(), TimelineError> {
        let event_id = parse_event_id(event_id)?;
        let receipts = Receipts::new()
            .fully_read_marker(event_id.clone())
            .public_read_receipt(event_id);
        self.slot
            .timeline()
            .send_multiple_receipts(receipts)
            .await
            .map_err(|error| TimelineError::Receipt(error.to_string()))
    }

    /// Tells the others that this user has seen the latest event (read receipt only): the read
    /// marker stays, so that the first unread message can still be found until the user
    /// leaves the conversation or marks it read.
    pub async fn send_read_receipt(&self) -> Result<(), TimelineError> {
        self.slot
            .timeline()
            .mark_as_read(ReceiptType::Read)
            .await
            .map(|_| ())
            .map_err(|error| TimelineError::Receipt(error.to_string()))
    }

    /// Marks everything as read, up to the latest event (read receipt and read marker).
    pub async fn mark_as_read(&self) -> Result<(), TimelineError> {
        match self.slot.timeline().latest_event_id().await {
            Some(latest) => self.mark_read_up_to(latest.as_str()).await,
            None => Ok(()),
        }
    }

    /// The SDK's item for a message named by its event or transaction ID.
    pub(super) async fn event_item(
        &self,
        target: &str,
    ) -> Result<EventTimelineItem, TimelineError> {
        let identifier = event_item_id(target)?;
        self.slot
            .timeline()
            .items()
            .await
            .iter()
            .rev()
            .filter_map(|item| item.as_event())
            .find(|event| event.identifier() == identifier || same_event(event, &identifier))
            .cloned()
            .ok_or_else(|| TimelineError::EventNotFound(target.to_owned()))
    }
}

/// A local echo once sent carries its event ID too: it is found by either.
fn same_event(event: &EventTimelineItem, identifier: &TimelineEventItemId) -> bool {
    match identifier {
        TimelineEventItemId::EventId(event_id) => event.event_id() == Some(event_id.as_ref()),
        TimelineEventItemId::TransactionId(transaction_id) => {
            event.transaction_id() == Some(transaction_id.as_ref())
        }
    }
}

fn event_item_id(target: &str) -> Result<TimelineEventItemId, TimelineError> {
    let target = target.trim();
    if target.starts_with('$') {
        parse_event_id(target).map(TimelineEventItemId::EventId)
    } else if target.is_empty() {
        Err(TimelineError::EventNotFound(String::new()))
    } else {
        Ok(TimelineEventItemId::TransactionId(
            OwnedTransactionId::from(<&TransactionId>::from(target)),
        ))
    }
}
