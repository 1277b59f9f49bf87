//! Other people (`account.people()`): finding a colleague by name in the server's directory,
//! rather than typing their Matrix ID by heart, and ignoring someone (their messages hidden,
//! their invitations refused, as the server and every client of the account then do).

use matrix_sdk::ruma::{OwnedUserId, UserId};
use serde::Serialize;

use crate::{
    Account,
    rooms::{RoomError, parse_user_id},
};

/// The most people a search returns: a list a person reads, not an export.
const MOST_RESULTS: u64 = 20;
/// The longest search accepted (a Matrix ID is at most 255 bytes).
const SEARCH_MAX_CHARS: usize = 255;

/// Someone found in the directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PersonFound {
    pub user_id: String,
    pub display_name: Option<String>,
    /// `mxc://` URI, shown through the media scheme.
    pub avatar_url: Option<String>,
    /// A conversation between the two of them already exists: choosing them opens it.
    pub direct_room_id: Option<String>,
}

/// What a search found: the server's directory answers only with people who share a room
/// with this user or are in public rooms, unless the server searches all its users (as state
/// deployments do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Directory {
    pub people: Vec<PersonFound>,
    /// The server had more to give than were asked for: typing more narrows it.
    pub limited: bool,
}

impl Account {
    /// Other people: the directory and whom this user ignores.
    pub fn people(&self) -> People<'_> {
        People { account: self }
    }
}

/// Other people, as this account sees them (`account.people()`).
#[derive(Clone, Copy, Debug)]
pub struct People<'a> {
    account: &'a Account,
}

impl People<'_> {
    /// The people whose name or Matrix ID holds `term`. A full Matrix ID that the directory
    /// does not list is still offered (it may be someone on another server), named by the
    /// server's profile when it has one.
    pub async fn search(&self, term: &str) -> Result<Directory, RoomError> {
        let term = term.trim();
        if term.is_empty() {
            return Ok(Directory {
                people: Vec::new(),
                limited: false,
            });
        }
        let term: String = term.chars().take(SEARCH_MAX_CHARS).collect();
        let client = self.account.client();
        let response = client
            .search_users(&term, MOST_RESULTS)
            .await
            .map_err(|error| RoomError::from_sdk(error.into()))?;
        let own_id = client.user_id().map(ToOwned::to_owned);
        let mut people: Vec<PersonFound> = response
            .results
            .into_iter()
            .filter(|user| Some(&user.user_id) != own_id.as_ref())
            .map(|user| PersonFound {
                direct_room_id: self.direct_room_with(&user.user_id),
                user_id: user.user_id.to_string(),
                display_name: user.display_name,
                avatar_url: user.avatar_url.map(|url| url.to_string()),
            })
            .collect();
        if let Ok(user_id) = UserId::parse(term.as_str())
            && Some(&user_id) != own_id.as_ref()
            && !people
                .iter()
                .any(|person| person.user_id == user_id.as_str())
        {
            people.insert(0, self.by_id(user_id).await);
        }
        Ok(Directory {
            people,
            limited: response.limited,
        })
    }

    /// Someone named by a full Matrix ID, as their server's profile names them.
    async fn by_id(&self, user_id: OwnedUserId) -> PersonFound {
        let profile = self
            .account
            .client()
            .account()
            .fetch_user_profile_of(&user_id)
            .await
            .ok();
        let field = |name: &str| {
            profile
                .as_ref()
                .and_then(|profile| profile.get(name))
                .and_then(|value| value.as_str().map(ToOwned::to_owned))
        };
        PersonFound {
            direct_room_id: self.direct_room_with(&user_id),
            display_name: field("displayname"),
            avatar_url: field("avatar_url"),
            user_id: user_id.to_string(),
        }
    }

    fn direct_room_with(&self, user_id: &UserId) -> Option<String> {
        self.account
            .client()
            .get_dm_room(user_id)
            .map(|room| room.room_id().to_string())
    }

    /// Ignores `user_id`: their messages are hidden and their invitations refused, on every
    /// device of this account.
    pub async fn ignore(&self, user_id: &str) -> Result<(), RoomError> {
        let user_id = parse_user_id(user_id)?;
        self.account
            .client()
            .account()
            .ignore_user(&user_id)
            .await
            .map_err(RoomError::from_sdk)
    }

    pub async fn unignore(&self, user_id: &str) -> Result<(), RoomError> {
        let user_id = parse_user_id(user_id)?;
        self.account
            .client()
            .account()
            .unignore_user(&user_id)
            .await
            .map_err(RoomError::from_sdk)
    }

    /// Whom this account ignores.
    pub async fn ignored(&self) -> Vec<String> {
        self.account
            .client()
            .subscribe_to_ignore_user_list_changes()
            .get()
            .into_iter()
            .collect()
    }
}
