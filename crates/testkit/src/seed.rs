//! Seeding plain (unencrypted) rooms straight through the client-server API: fast, for
//! volume in the demo and benchmarks. Encrypted history needs real clients and is seeded with
//! the core instead.

use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;
use serde_json::json;

use crate::{Homeserver, RegisteredUser, TestkitError, http};

/// How many rooms and messages [`seed_plain_rooms`] creates.
#[derive(Clone, Debug)]
pub struct SeedPlan {
    pub rooms: usize,
    pub messages_per_room: usize,
    /// Rooms are named `"{prefix} 1"`, `"{prefix} 2"`, …
    pub room_name_prefix: String,
}

impl Default for SeedPlan {
    fn default() -> Self {
        Self {
            rooms: 2,
            messages_per_room: 10,
            room_name_prefix: "Room".to_owned(),
        }
    }
}

/// Creates `plan.rooms` private rooms as `owner`, invites and joins every member, then sends
/// `plan.messages_per_room` text messages per room, senders taking turns (owner first).
/// Message `n` of room `"{prefix} r"` reads `"{prefix} r, message n"`. Returns the room IDs.
pub async fn seed_plain_rooms(
    hs: &Homeserver,
    owner: &RegisteredUser,
    members: &[RegisteredUser],
    plan: &SeedPlan,
) -> Result<Vec<String>, TestkitError> {
    let invite: Vec<&str> = members
        .iter()
        .map(|member| member.user_id.as_str())
        .collect();
    let senders: Vec<&RegisteredUser> = std::iter::once(owner).chain(members).collect();
    let mut room_ids = Vec::with_capacity(plan.rooms);
    for number in 1..=plan.rooms {
        let name = format!("{} {number}", plan.room_name_prefix);
        let room_id = hs.create_room(owner, &name, &invite).await?;
        for member in members {
            hs.join_room(member, &room_id).await?;
        }
        for (index, sender) in senders
            .iter()
            .cycle()
            .take(plan.messages_per_room)
            .enumerate()
        {
            let body = format!("{name}, message {}", index + 1);
            hs.send_text(sender, &room_id, &body).await?;
        }
        room_ids.push(room_id);
    }
    Ok(room_ids)
}

#[derive(Deserialize)]
struct RoomId {
    room_id: String,
}

#[derive(Deserialize)]
struct EventId {
    event_id: String,
}

impl Homeserver {
    /// Creates a private room named `name` as `owner`, inviting `invite` (user IDs).
    pub async fn create_room(
        &self,
        owner: &RegisteredUser,
        name: &str,
        invite: &[&str],
    ) -> Result<String, TestkitError> {
        let url = self.endpoint(&["_matrix", "client", "v3", "createRoom"])?;
        let body = json!({ "name": name, "preset": "private_chat", "invite": invite });
        let request = self
            .http()
            .post(url)
            .bearer_auth(&owner.access_token)
            .json(&body);
        let RoomId { room_id } = http::json(request, &format!("creating room {name:?}")).await?;
        Ok(room_id)
    }

    /// Creates a public room, listed in the server's directory, named `name` with `topic`.
    pub async fn create_public_room(
        &self,
        owner: &RegisteredUser,
        name: &str,
        topic: &str,
    ) -> Result<String, TestkitError> {
        let url = self.endpoint(&["_matrix", "client", "v3", "createRoom"])?;
        let body = json!({
            "name": name,
            "topic": topic,
            "preset": "public_chat",
            "visibility": "public",
        });
        let request = self
            .http()
            .post(url)
            .bearer_auth(&owner.access_token)
            .json(&body);
        let RoomId { room_id } =
            http::json(request, &format!("creating public room {name:?}")).await?;
        Ok(room_id)
    }

    /// Joins `room_id` (or accepts the invite to it) as `user`.
    pub async fn join_room(
        &self,
        user: &RegisteredUser,
        room_id: &str,
    ) -> Result<(), TestkitError> {
        let url = self.endpoint(&["_matrix", "client", "v3", "rooms", room_id, "join"])?;
        let request = self
            .http()
            .post(url)
            .bearer_auth(&user.access_token)
            .json(&json!({}));
        let what = format!("{} joining {room_id}", user.user_id);
        let RoomId { .. } = http::json(request, &what).await?;
        Ok(())
    }

    /// Sends an `m.text` message as `user`, returning its event ID.
    pub async fn send_text(
        &self,
        user: &RegisteredUser,
        room_id: &str,
        body: &str,
    ) -> Result<String, TestkitError> {
        self.send_message(user, room_id, json!({ "msgtype": "m.text", "body": body }))
            .await
    }

    /// Sends an `m.room.message` with exactly this content as `user` (unencrypted, as a
    /// client of its own would: the way to send what no well-behaved client sends).
    pub async fn send_message(
        &self,
        user: &RegisteredUser,
        room_id: &str,
        content: serde_json::Value,
    ) -> Result<String, TestkitError> {
        self.send_event(user, room_id, "m.room.message", content)
            .await
    }

    /// Sends a message-like event of any type with exactly this content as `user`, unencrypted.
    pub async fn send_event(
        &self,
        user: &RegisteredUser,
        room_id: &str,
        event_type: &str,
        content: serde_json::Value,
    ) -> Result<String, TestkitError> {
        // Transaction IDs are scoped to the access token; random ones never collide.
        let transaction = Alphanumeric.sample_string(&mut rand::rng(), 16);
        let url = self.endpoint(&[
            "_matrix",
            "client",
            "v3",
            "rooms",
            room_id,
            "send",
            event_type,
            &transaction,
        ])?;
        let what = format!("{} sending to {room_id}", user.user_id);
        self.put_event(user, url, &content, &what).await
    }

    /// Sets a state event of any type with exactly this content as `user` (a room's name,
    /// topic, or the user's own membership with a display name), returning its event ID.
    pub async fn send_state(
        &self,
        user: &RegisteredUser,
        room_id: &str,
        event_type: &str,
        state_key: &str,
        content: serde_json::Value,
    ) -> Result<String, TestkitError> {
        let url = self.endpoint(&[
            "_matrix", "client", "v3", "rooms", room_id, "state", event_type, state_key,
        ])?;
        let what = format!("{} setting {event_type} in {room_id}", user.user_id);
        self.put_event(user, url, &content, &what).await
    }

    /// PUTs an event's content as `user`; the server answers with its event ID.
    async fn put_event(
        &self,
        user: &RegisteredUser,
        url: reqwest::Url,
        content: &serde_json::Value,
        what: &str,
    ) -> Result<String, TestkitError> {
        let request = self
            .http()
            .put(url)
            .bearer_auth(&user.access_token)
            .json(content);
        let EventId { event_id } = http::json(request, what).await?;
        Ok(event_id)
    }

    /// Uploads `bytes` as `user`, returning their `mxc://` URI.
    pub async fn upload_media(
        &self,
        user: &RegisteredUser,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<String, TestkitError> {
        let url = self.endpoint(&["_matrix", "media", "v3", "upload"])?;
        let request = self
            .http()
            .post(url)
            .bearer_auth(&user.access_token)
            .header("Content-Type", content_type)
            .body(bytes);
        let Uploaded { content_uri } = http::json(request, "uploading media").await?;
        Ok(content_uri)
    }
}

#[derive(Deserialize)]
struct Uploaded {
    content_uri: String,
}
