//! Seeding plain (unencrypted) rooms straight through the client-server API: fast, for
//! volume. Encrypted history needs real clients and is seeded with the core (see the
//! benchmark and the demo server).

use serde::Deserialize;
use serde_json::json;

use crate::{Homeserver, RegisteredUser, TestkitError};

/// How many rooms and messages to create.
#[derive(Clone, Debug)]
pub struct SeedPlan {
    pub rooms: usize,
    pub messages_per_room: usize,
    pub room_name_prefix: String,
}

#[derive(Deserialize)]
struct RoomId {
    room_id: String,
}

impl Homeserver {
    async fn post_as(
        &self,
        user: &RegisteredUser,
        path: &str,
        body: serde_json::Value,
    ) -> Result<reqwest::Response, TestkitError> {
        let response = self
            .http
            .post(format!("{}/_matrix/client/v3/{path}", self.base_url()))
            .bearer_auth(&user.access_token)
            .json(&body)
            .send()
            .await?;
        check(response, path).await
    }

    /// Sends a text message as `user`, returning its event ID.
    pub async fn send_text(
        &self,
        user: &RegisteredUser,
        room_id: &str,
        body: &str,
    ) -> Result<String, TestkitError> {
        #[derive(Deserialize)]
        struct EventId {
            event_id: String,
        }
        let transaction: u64 = rand::random();
        let path = format!("rooms/{room_id}/send/m.room.message/{transaction}");
        let response = self
            .http
            .put(format!("{}/_matrix/client/v3/{path}", self.base_url()))
            .bearer_auth(&user.access_token)
            .json(&json!({ "msgtype": "m.text", "body": body }))
            .send()
            .await?;
        let EventId { event_id } = check(response, &path).await?.json().await?;
        Ok(event_id)
    }
}

async fn check(response: reqwest::Response, what: &str) -> Result<reqwest::Response, TestkitError> {
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(TestkitError::Refused {
            what: what.to_owned(),
            body: response.text().await.unwrap_or_default(),
        })
    }
}

/// Creates `plan.rooms` rooms owned by `owner`, with every member invited and joined, and
/// `plan.messages_per_room` messages in each, senders taking turns. Returns the room IDs.
pub async fn seed_plain_rooms(
    hs: &Homeserver,
    owner: &RegisteredUser,
    members: &[RegisteredUser],
    plan: &SeedPlan,
) -> Result<Vec<String>, TestkitError> {
    let mut room_ids = Vec::with_capacity(plan.rooms);
    for number in 1..=plan.rooms {
        let name = format!("{} {number}", plan.room_name_prefix);
        let invite: Vec<&str> = members
            .iter()
            .map(|member| member.user_id.as_str())
            .collect();
        let RoomId { room_id } = hs
            .post_as(
                owner,
                "createRoom",
                json!({ "name": name, "preset": "private_chat", "invite": invite }),
            )
            .await?
            .json()
            .await?;
        for member in members {
            hs.post_as(member, &format!("join/{room_id}"), json!({}))
                .await?;
        }
        let senders: Vec<&RegisteredUser> = std::iter::once(owner).chain(members).collect();
        for message in 1..=plan.messages_per_room {
            let sender = senders[message % senders.len()];
            hs.send_text(sender, &room_id, &format!("{name}, message {message}"))
                .await?;
        }
        room_ids.push(room_id);
    }
    Ok(room_ids)
}
