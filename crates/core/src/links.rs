//! Links to Matrix things. A `matrix.to` link or a `matrix:` URI in a message points at a person,
//! a room or a message, which the app opens itself rather than sending the user to a website;
//! and a mention is written as such a link, which every Matrix client shows as a pill.

use matrix_sdk::ruma::{MatrixToUri, MatrixUri, UserId, matrix_uri::MatrixId};
use serde::Serialize;

/// What a link to a Matrix thing points at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum LinkTarget {
    /// A person: their profile card.
    User { user_id: String },
    /// A room by ID or alias, and a message in it when the link names one; `via` are the
    /// servers the link suggests to join through.
    Room {
        room: String,
        event_id: Option<String>,
        via: Vec<String>,
    },
}

/// What `href` points at, when it is a `matrix.to` link or a `matrix:` URI (MSC2312) to a
/// person, a room or a message; `None` for any other link, or for a malformed one (which then
/// opens nowhere in the app).
pub fn link_target(href: &str) -> Option<LinkTarget> {
    let href = href.trim();
    if href.starts_with(MATRIX_TO) && !well_formed_matrix_to(href) {
        return None;
    }
    let (id, via) = if let Ok(uri) = MatrixToUri::parse(href) {
        (uri.id().clone(), uri.via().to_vec())
    } else if let Ok(uri) = MatrixUri::parse(href) {
        (uri.id().clone(), uri.via().to_vec())
    } else {
        return None;
    };
    let via = via.iter().map(ToString::to_string).collect();
    match id {
        MatrixId::User(user_id) => Some(LinkTarget::User {
            user_id: user_id.to_string(),
        }),
        MatrixId::Room(room_id) => Some(LinkTarget::Room {
            room: room_id.to_string(),
            event_id: None,
            via,
        }),
        MatrixId::RoomAlias(alias) => Some(LinkTarget::Room {
            room: alias.to_string(),
            event_id: None,
            via,
        }),
        MatrixId::Event(room, event_id) => Some(LinkTarget::Room {
            room: room.to_string(),
            event_id: Some(event_id.to_string()),
            via,
        }),
        // Identifiers a later spec may add: not something this app can open.
        _ => None,
    }
}

const MATRIX_TO: &str = "https://matrix.to/#/";

/// The identifiers of a `matrix.to` link are one or two non-empty parts. Ruma's parser (0.19)
/// panics on an empty part (`https://matrix.to/#///x`), which anyone can write in a message:
/// such a link is refused before it gets there.
fn well_formed_matrix_to(href: &str) -> bool {
    let identifiers = href[MATRIX_TO.len()..]
        .split('?')
        .next()
        .unwrap_or_default();
    let identifiers = identifiers.strip_prefix('/').unwrap_or(identifiers);
    let identifiers = identifiers.strip_suffix('/').unwrap_or(identifiers);
    !identifiers.is_empty() && identifiers.split('/').all(|part| !part.is_empty())
}

/// The link a mention of `user_id` is written as: `https://matrix.to/#/@alice:example.org`,
/// the form every client recognises.
pub(crate) fn user_link(user_id: &UserId) -> String {
    user_id.matrix_to_uri().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(room: &str, event_id: Option<&str>, via: &[&str]) -> Option<LinkTarget> {
        Some(LinkTarget::Room {
            room: room.to_owned(),
            event_id: event_id.map(str::to_owned),
            via: via.iter().map(|server| (*server).to_owned()).collect(),
        })
    }

    #[test]
    fn matrix_to_links_point_at_people_rooms_and_messages() {
        assert_eq!(
            link_target("https://matrix.to/#/@alice:example.org"),
            Some(LinkTarget::User {
                user_id: "@alice:example.org".to_owned()
            })
        );
        assert_eq!(
            link_target("https://matrix.to/#/%40alice%3Aexample.org"),
            Some(LinkTarget::User {
                user_id: "@alice:example.org".to_owned()
            })
        );
        assert_eq!(
            link_target("https://matrix.to/#/%23lobby%3Aexample.org?via=example.org"),
            room("#lobby:example.org", None, &["example.org"])
        );
        assert_eq!(
            link_target("https://matrix.to/#/!abc:example.org/$event1?via=a.org&via=b.org"),
            room("!abc:example.org", Some("$event1"), &["a.org", "b.org"])
        );
    }

    #[test]
    fn matrix_uris_point_at_people_rooms_and_messages() {
        assert_eq!(
            link_target("matrix:u/alice:example.org"),
            Some(LinkTarget::User {
                user_id: "@alice:example.org".to_owned()
            })
        );
        assert_eq!(
            link_target("matrix:r/lobby:example.org"),
            room("#lobby:example.org", None, &[])
        );
        assert_eq!(
            link_target("matrix:roomid/abc:example.org/e/event1?via=example.org"),
            room("!abc:example.org", Some("$event1"), &["example.org"])
        );
    }

    #[test]
    fn other_and_malformed_links_open_nowhere_in_the_app() {
        for href in [
            "https://example.org/#/@alice:example.org",
            "https://matrix.to.evil.example/#/@alice:example.org",
            "http://matrix.to/#/@alice:example.org",
            "https://matrix.to/#/",
            "https://matrix.to/#/alice",
            "https://matrix.to/#/@alice",
            "https://matrix.to/#/@alice:example.org/$event",
            "https://matrix.to/#/!a:b.org/$e/$f",
            "https://matrix.to/#/%E0%A4%A",
            "matrix:x/alice:example.org",
            "matrix:u/",
            // Empty parts, on which the parser underneath would panic.
            "https://matrix.to/#///x",
            "https://matrix.to/#/!a:b.org//",
            "https://matrix.to/#////",
            "https://matrix.to/#//",
            "https://matrix.to/#/?via=a.org",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(link_target(href), None, "{href}");
        }
    }

    #[test]
    fn a_mention_is_written_as_the_link_every_client_reads() {
        let alice = <&UserId>::try_from("@alice:example.org").expect("a user ID");
        let link = user_link(alice);
        assert_eq!(
            link_target(&link),
            Some(LinkTarget::User {
                user_id: alice.to_string()
            })
        );
    }
}
