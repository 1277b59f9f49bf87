//! What is being written, kept per room (and per thread) in the account's own store, so that it
//! survives switching rooms or accounts and restarting: the text, and the reply or edit it is.

use matrix_sdk::ComposerDraft;
use matrix_sdk::ComposerDraftType;
use serde::{Deserialize, Serialize};

use super::{Mention, RoomTimeline, TimelineError, mentions, parse_event_id};

/// A message being written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Draft {
    /// As typed: Markdown, people picked from the `@` list shown by their label.
    pub text: String,
    /// The people picked from the `@` list. The store keeps them as links in the text, as
    /// other clients of the same account read a draft.
    #[serde(default)]
    pub mentions: Vec<Mention>,
    pub kind: DraftKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DraftKind {
    New,
    /// An answer to the message with this event ID.
    Reply {
        event_id: String,
    },
    /// A new text for this user's message with this event ID.
    Edit {
        event_id: String,
    },
}

impl RoomTimeline {
    /// The draft kept for this conversation, if any.
    pub async fn draft(&self) -> Result<Option<Draft>, TimelineError> {
        let draft = self
            .slot
            .room
            .load_composer_draft(self.thread_root.as_deref())
            .await
            .map_err(|error| TimelineError::Draft(error.to_string()))?;
        Ok(draft.map(|draft| {
            let (text, mentions) = mentions::read_back(&draft.plain_text);
            Draft {
                text,
                mentions,
                kind: match draft.draft_type {
                    ComposerDraftType::NewMessage => DraftKind::New,
                    ComposerDraftType::Reply { event_id } => DraftKind::Reply {
                        event_id: event_id.to_string(),
                    },
                    ComposerDraftType::Edit { event_id } => DraftKind::Edit {
                        event_id: event_id.to_string(),
                    },
                },
            }
        }))
    }

    /// Keeps `draft` for this conversation; an empty new message clears it.
    pub async fn save_draft(&self, draft: Draft) -> Result<(), TimelineError> {
        let draft_type = match &draft.kind {
            DraftKind::New if draft.text.trim().is_empty() => return self.clear_draft().await,
            DraftKind::New => ComposerDraftType::NewMessage,
            DraftKind::Reply { event_id } => ComposerDraftType::Reply {
                event_id: parse_event_id(event_id)?,
            },
            DraftKind::Edit { event_id } => ComposerDraftType::Edit {
                event_id: parse_event_id(event_id)?,
            },
        };
        let draft = ComposerDraft {
            plain_text: mentions::with_links(&draft.text, &draft.mentions)?,
            html_text: None,
            draft_type,
            attachments: Vec::new(),
        };
        self.slot
            .room
            .save_composer_draft(draft, self.thread_root.as_deref())
            .await
            .map_err(|error| TimelineError::Draft(error.to_string()))
    }

    pub async fn clear_draft(&self) -> Result<(), TimelineError> {
        self.slot
            .room
            .clear_composer_draft(self.thread_root.as_deref())
            .await
            .map_err(|error| TimelineError::Draft(error.to_string()))
    }
}
