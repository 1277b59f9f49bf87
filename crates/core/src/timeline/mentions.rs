//! Mentions in what is written. The composer shows a person picked from the `@` list as a
//! label (`@Anne Marie`); the message sent links each label still in the text to the person,
//! which every client shows as a pill, and names them in `m.mentions`, so that only they are
//! notified. A label the user erased or changed notifies nobody. Drafts keep the links, and
//! reading a draft back turns them into labels again.

use matrix_sdk::ruma::{OwnedUserId, UserId, events::Mentions};
use serde::{Deserialize, Serialize};

use super::TimelineError;
use crate::links::{LinkTarget, link_target, user_link};

/// A person picked from the `@` list: the label the composer wrote for them, and who they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Mention {
    /// As written in the text, `@` included.
    pub label: String,
    pub user_id: String,
}

/// `text` with every label of `chosen` linked to its person, and whom the message mentions:
/// the people whose label is in the text, those linked to by hand, and the room when
/// `room_chosen` and `@room` is still written.
pub(crate) fn written(
    text: &str,
    chosen: &[Mention],
    room_chosen: bool,
) -> Result<(String, Mentions), TimelineError> {
    let chosen = parsed(chosen)?;
    let (markdown, mut user_ids) = linked(text, &chosen);
    user_ids.extend(
        links_in(&markdown)
            .into_iter()
            .filter_map(|(_, user_id)| OwnedUserId::try_from(user_id).ok()),
    );
    let mut mentions = Mentions::new();
    mentions.user_ids = user_ids.into_iter().collect();
    mentions.room = room_chosen && mentions_room(text);
    Ok((markdown, mentions))
}

/// `text` with its chosen labels linked, as a draft keeps it.
pub(crate) fn with_links(text: &str, chosen: &[Mention]) -> Result<String, TimelineError> {
    Ok(linked(text, &parsed(chosen)?).0)
}

/// A draft's text as the composer shows it, each link to a person a label again, and those
/// people.
pub(crate) fn read_back(markdown: &str) -> (String, Vec<Mention>) {
    let mut text = String::with_capacity(markdown.len());
    let mut mentions: Vec<Mention> = Vec::new();
    let mut rest = markdown;
    for (span, user_id) in links_in(markdown) {
        let (before, after) = rest.split_at(span.start - (markdown.len() - rest.len()));
        text.push_str(before);
        let label = format!("@{}", unescaped(&markdown[span.label]));
        text.push_str(&label);
        if !mentions.iter().any(|mention| mention.label == label) {
            mentions.push(Mention { label, user_id });
        }
        rest = &after[span.end - span.start..];
    }
    text.push_str(rest);
    (text, mentions)
}

/// The chosen labels (each `@` and a name) with their people.
fn parsed(chosen: &[Mention]) -> Result<Vec<(&str, &UserId)>, TimelineError> {
    chosen
        .iter()
        .filter(|mention| {
            mention
                .label
                .strip_prefix('@')
                .is_some_and(|name| !name.is_empty())
        })
        .map(|mention| {
            <&UserId>::try_from(mention.user_id.trim())
                .map(|user_id| (mention.label.as_str(), user_id))
                .map_err(|_| TimelineError::Send(format!("not a user ID: {}", mention.user_id)))
        })
        .collect()
}

/// One pass from left to right, the longest label first at each place, so that `@Anne Marie`
/// is not taken for `@Anne` and a label never matches inside a link already written.
fn linked(text: &str, chosen: &[(&str, &UserId)]) -> (String, Vec<OwnedUserId>) {
    let mut by_length = chosen.to_vec();
    by_length.sort_by_key(|(label, _)| std::cmp::Reverse(label.len()));
    let mut markdown = String::with_capacity(text.len());
    let mut user_ids: Vec<OwnedUserId> = Vec::new();
    let mut rest = text;
    let mut previous: Option<char> = None;
    while let Some(first) = rest.chars().next() {
        // A label starts a word: `anne@Bob.org` mentions nobody.
        let starts_a_word =
            previous.is_none_or(|before| !before.is_alphanumeric() && before != '_');
        let found = by_length.iter().find(|(label, _)| {
            starts_a_word && rest.starts_with(label) && ends_a_word(&rest[label.len()..])
        });
        if let Some((label, user_id)) = found {
            markdown.push('[');
            markdown.push_str(&escaped(label.strip_prefix('@').unwrap_or(label)));
            markdown.push_str("](");
            markdown.push_str(&user_link(user_id));
            markdown.push(')');
            if !user_ids.iter().any(|known| known == user_id) {
                user_ids.push((*user_id).to_owned());
            }
            previous = label.chars().next_back();
            rest = &rest[label.len()..];
        } else {
            markdown.push(first);
            previous = Some(first);
            rest = &rest[first.len_utf8()..];
        }
    }
    (markdown, user_ids)
}

/// A label ends where a word does: `@Anne` is not in `@Annette`.
fn ends_a_word(after: &str) -> bool {
    after
        .chars()
        .next()
        .is_none_or(|next| !next.is_alphanumeric() && next != '_' && next != '-')
}

/// `@room` written as a word of its own.
fn mentions_room(text: &str) -> bool {
    text.match_indices("@room").any(|(at, word)| {
        let starts_a_word = text[..at]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        starts_a_word && ends_a_word(&text[at + word.len()..])
    })
}

/// Markdown punctuation in a name is written as itself, not as formatting or a link's end.
fn escaped(label: &str) -> String {
    let mut escaped = String::with_capacity(label.len());
    for character in label.chars() {
        if character.is_ascii_punctuation() {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

fn unescaped(label: &str) -> String {
    let mut text = String::with_capacity(label.len());
    let mut characters = label.chars().peekable();
    while let Some(character) = characters.next() {
        if character == '\\'
            && let Some(next) = characters.next_if(char::is_ascii_punctuation)
        {
            text.push(next);
        } else {
            text.push(character);
        }
    }
    text
}

/// Where a Markdown link is in the text, and its label.
struct LinkSpan {
    start: usize,
    end: usize,
    label: std::ops::Range<usize>,
}

/// The Markdown links to people in `markdown` (`[label](https://matrix.to/#/@…)`), in order.
fn links_in(markdown: &str) -> Vec<(LinkSpan, String)> {
    let mut found = Vec::new();
    let bytes = markdown.as_bytes();
    let mut at = 0;
    while let Some(offset) = markdown[at..].find('[') {
        let start = at + offset;
        at = start + 1;
        // The label ends at the first `]` not escaped.
        let mut close = None;
        let mut index = start + 1;
        while index < bytes.len() {
            match bytes[index] {
                b'\\' => index += 2,
                b']' => {
                    close = Some(index);
                    break;
                }
                b'[' | b'\n' => break,
                _ => index += 1,
            }
        }
        let Some(close) = close else { continue };
        if bytes.get(close + 1) != Some(&b'(') {
            continue;
        }
        let Some(length) = markdown[close + 2..].find(|c: char| c == ')' || c.is_whitespace())
        else {
            continue;
        };
        let href_end = close + 2 + length;
        if bytes[href_end] != b')' {
            continue;
        }
        if let Some(LinkTarget::User { user_id }) = link_target(&markdown[close + 2..href_end]) {
            found.push((
                LinkSpan {
                    start,
                    end: href_end + 1,
                    label: start + 1..close,
                },
                user_id,
            ));
            at = href_end + 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mention(label: &str, user_id: &str) -> Mention {
        Mention {
            label: label.to_owned(),
            user_id: user_id.to_owned(),
        }
    }

    fn user_ids(mentions: &Mentions) -> Vec<String> {
        mentions.user_ids.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_chosen_label_becomes_a_link_and_a_mention() {
        let (markdown, mentions) = written(
            "hi @Anne Marie and @Anne, see @Annette",
            &[
                mention("@Anne", "@anne:example.org"),
                mention("@Anne Marie", "@am:example.org"),
            ],
            false,
        )
        .expect("valid mentions");
        assert_eq!(
            markdown,
            "hi [Anne Marie](https://matrix.to/#/@am:example.org) and \
             [Anne](https://matrix.to/#/@anne:example.org), see @Annette"
        );
        assert_eq!(
            user_ids(&mentions),
            ["@am:example.org", "@anne:example.org"]
        );
        assert!(!mentions.room);
    }

    #[test]
    fn an_erased_label_notifies_nobody() {
        let (markdown, mentions) =
            written("never mind", &[mention("@Bob", "@bob:example.org")], true)
                .expect("valid mentions");
        assert_eq!(markdown, "never mind");
        assert!(mentions.user_ids.is_empty());
        assert!(!mentions.room, "@room was erased");
    }

    #[test]
    fn a_label_never_matches_inside_a_link() {
        // A person named after another's user ID.
        let (markdown, mentions) = written(
            "@anne @bob",
            &[
                mention("@anne", "@bob:example.org"),
                mention("@bob", "@anne:example.org"),
            ],
            false,
        )
        .expect("valid mentions");
        assert_eq!(
            markdown,
            "[anne](https://matrix.to/#/@bob:example.org) [bob](https://matrix.to/#/@anne:example.org)"
        );
        assert_eq!(mentions.user_ids.len(), 2);
    }

    #[test]
    fn punctuation_in_a_name_stays_text() {
        let (markdown, _) = written(
            "@[x](javascript:alert(1)) *",
            &[mention("@[x](javascript:alert(1))", "@x:example.org")],
            false,
        )
        .expect("valid mentions");
        assert_eq!(
            markdown,
            r"[\[x\]\(javascript\:alert\(1\)\)](https://matrix.to/#/@x:example.org) *"
        );
    }

    #[test]
    fn a_label_inside_a_word_or_an_odd_label_links_nobody() {
        let (markdown, mentions) = written(
            "anne@Bob.org et é",
            &[
                mention("@Bob", "@bob:example.org"),
                mention("é", "@e:example.org"),
                mention("@", "@f:example.org"),
            ],
            false,
        )
        .expect("valid mentions");
        assert_eq!(markdown, "anne@Bob.org et é");
        assert!(mentions.user_ids.is_empty());
    }

    #[test]
    fn room_counts_only_when_chosen_and_still_written() {
        let room = |text: &str, chosen: bool| written(text, &[], chosen).expect("valid").1.room;
        assert!(room("@room look", true));
        assert!(room("look, @room!", true));
        assert!(!room("@room look", false));
        assert!(!room("@roomy look", true));
        assert!(!room("me@room.org", true));
    }

    #[test]
    fn links_written_by_hand_mention_too() {
        let (_, mentions) = written(
            "ask [her](https://matrix.to/#/%40carol%3Aexample.org) or [the site](https://example.org)",
            &[],
            false,
        )
        .expect("valid mentions");
        assert_eq!(user_ids(&mentions), ["@carol:example.org"]);
    }

    #[test]
    fn a_bad_user_id_is_refused() {
        let refused = written("@x", &[mention("@x", "not a user")], false);
        assert!(matches!(refused, Err(TimelineError::Send(_))));
    }

    #[test]
    fn a_draft_reads_back_as_labels() {
        let chosen = [
            mention("@Anne [A]", "@anne:example.org"),
            mention("@Bob", "@bob:example.org"),
        ];
        let text = "to @Anne [A], @Bob and @Anne [A] — [site](https://example.org)";
        let kept = with_links(text, &chosen).expect("valid mentions");
        let (read, mentions) = read_back(&kept);
        assert_eq!(read, text);
        assert_eq!(mentions, chosen);
        // Unfinished or odd Markdown reads back as it is.
        for odd in [
            "[",
            "[a](",
            "[a](https://matrix.to/#/@a:b.org",
            "]()",
            "\\[x](y)",
            "[é](ü)",
        ] {
            assert_eq!(read_back(odd), (odd.to_owned(), Vec::new()), "{odd}");
        }
    }
}
