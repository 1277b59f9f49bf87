//! The people of a room as its info panel lists them (`account.rooms().roster(room_id)`):
//! everyone joined, invited, asking to join or banned, with their role and whether this user
//! verified them; and what those with the power do to them: change their role, remove or ban
//! them with a reason, let in or turn away those who ask.
//!
//! Rooms of thousands are listed as changes to the list, never again as a whole list.

use std::{
    cmp::Ordering,
    collections::{HashMap, HashSet},
    time::Duration,
};

use futures_util::StreamExt;
use matrix_sdk::{
    Room, RoomMemberships,
    ruma::{
        OwnedUserId, UserId,
        events::room::{
            member::{MembershipState, SyncRoomMemberEvent},
            power_levels::SyncRoomPowerLevelsEvent,
        },
    },
};
use serde::Serialize;
use tracing::{instrument, warn};

use crate::{
    ListDiff, Subscription,
    room_settings::{ADMIN_POWER, Role, RoomAccess, access_of, power_of},
    rooms::{RoomError, Rooms, load_members, parse_user_id, room_and_servers},
};

/// Changes that come together (a burst of joins, a sync catching up) are read once.
const SETTLE: Duration = Duration::from_millis(250);
/// Identities are read from the store in batches this size, the list sent between batches.
const TRUST_BATCH: usize = 200;
/// The longest reason accepted for a removal or a ban, in characters.
pub const MOST_REASON_CHARS: usize = 500;

/// Where someone stands with the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Asks to join (listed first: someone waits for an answer).
    AskingToJoin,
    Joined,
    Invited,
    Banned,
}

/// Whether this user verified someone (shown in encrypted rooms only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    Verified,
    NotVerified,
    /// Verified once, and their identity changed since: to check again.
    Changed,
    /// Not an encrypted room, or not read yet.
    Unknown,
}

/// One person of the room's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomPerson {
    pub user_id: String,
    pub display_name: Option<String>,
    /// `mxc://` URI, fetched through the core.
    pub avatar_url: Option<String>,
    pub standing: Standing,
    pub power: i64,
    pub role: Role,
    pub trust: Trust,
    /// Why they ask to join, or why they were banned, in their or the banner's words.
    pub reason: Option<String>,
}

impl RoomPerson {
    fn sort_name(&self) -> String {
        self.display_name
            .as_deref()
            .unwrap_or(&self.user_id)
            .trim_start_matches('@')
            .to_lowercase()
    }
}

/// The list's order: those asking first, then joined, invited, banned; by power within each,
/// then by name.
fn order(a: &(String, RoomPerson), b: &(String, RoomPerson)) -> Ordering {
    a.1.standing
        .cmp(&b.1.standing)
        .then(b.1.power.cmp(&a.1.power))
        .then_with(|| a.0.cmp(&b.0))
        .then_with(|| a.1.user_id.cmp(&b.1.user_id))
}

/// What leaving a room would cost, to warn before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum LeaveWarning {
    None,
    /// Nobody else is in it, invited, or able to come in unasked: nobody, this user included,
    /// could ever come back.
    LastPerson,
    /// This user is its only administrator: nobody would be able to change its settings.
    LastAdmin,
    /// A room nobody may join without an invitation: coming back needs one.
    InviteNeeded,
}

impl Rooms<'_> {
    /// The people of one room and what to do to them.
    pub fn roster(&self, room_id: &str) -> Result<Roster, RoomError> {
        Ok(Roster {
            room: self.account.room(room_id)?,
        })
    }

    /// Asks to join a room that lets people ask (by ID, address or link), with a word for
    /// those who decide. Returns the room ID.
    #[instrument(skip(self, reason), fields(account = %self.account.id()))]
    pub async fn knock(
        &self,
        address: &str,
        reason: Option<&str>,
        via: &[String],
    ) -> Result<String, RoomError> {
        let reason = bounded_reason(reason)?;
        let (target, servers) = room_and_servers(address, via)?;
        let room = self
            .account
            .client()
            .knock(target, reason, servers)
            .await
            .map_err(RoomError::from_sdk)?;
        Ok(room.room_id().to_string())
    }

    /// What leaving `room_id` would cost, read from what this device knows of it.
    pub async fn leave_warning(&self, room_id: &str) -> Result<LeaveWarning, RoomError> {
        let room = self.account.room(room_id)?;
        if room.state() != matrix_sdk::RoomState::Joined {
            return Ok(LeaveWarning::None);
        }
        let me = room.own_user_id().to_owned();
        // The full list (a device may have loaded only some members): an admin this device
        // has not seen yet must not make the user believe they are the last one.
        let members = load_members(&room, RoomMemberships::JOIN).await?;
        let others: Vec<_> = members
            .iter()
            .filter(|member| member.user_id() != me)
            .collect();
        let access = access_of(room.join_rule().as_ref());
        // Alone, in a room nobody may enter unasked and nobody is invited to: gone for good.
        if others.is_empty()
            && access != RoomAccess::AnyoneWithLink
            && room.invited_members_count() == 0
        {
            return Ok(LeaveWarning::LastPerson);
        }
        if others.is_empty() {
            return Ok(LeaveWarning::None);
        }
        let levels = room.power_levels_or_default().await;
        let admin = |user_id: &UserId| power_of(&levels, user_id) >= ADMIN_POWER;
        if admin(&me) && !others.iter().any(|member| admin(member.user_id())) {
            return Ok(LeaveWarning::LastAdmin);
        }
        let invite_only = access == RoomAccess::InviteOnly;
        Ok(if invite_only && !room.is_direct().await.unwrap_or(false) {
            LeaveWarning::InviteNeeded
        } else {
            LeaveWarning::None
        })
    }
}

/// The people of one room (`account.rooms().roster(room_id)`).
#[derive(Clone, Debug)]
pub struct Roster {
    room: Room,
}

impl Roster {
    /// The list: all of it first, then changes as people come, go, are renamed, change role
    /// or are verified.
    pub fn watch(&self) -> Subscription<Vec<ListDiff<RoomPerson>>> {
        let room = self.room.clone();
        Subscription::spawn(|sender| async move {
            let client = room.client();
            let members = client.observe_room_events::<SyncRoomMemberEvent, Room>(room.room_id());
            let levels =
                client.observe_room_events::<SyncRoomPowerLevelsEvent, Room>(room.room_id());
            let mut members = Box::pin(members.subscribe());
            let mut levels = Box::pin(levels.subscribe());
            let mut identities = match client.encryption().user_identities_stream().await {
                Ok(stream) => Some(Box::pin(stream)),
                Err(error) => {
                    warn!(%error, "identity changes cannot be followed");
                    None
                }
            };
            let mut trust_of: HashMap<OwnedUserId, Trust> = HashMap::new();
            // Whose trust to read again: kept as it was meanwhile, so that shields do not blink.
            let mut stale: HashSet<OwnedUserId> = HashSet::new();
            let mut shown: Vec<(String, RoomPerson)> = Vec::new();
            let mut first = true;
            let mut read_people_again = true;
            loop {
                if read_people_again {
                    // A failed read keeps the list shown rather than emptying it.
                    if let Some(now) = read_people(&room).await {
                        // Sent once without trust, so that a room of thousands lists at once;
                        // trust follows, read in batches.
                        let now = with_trust(now, &trust_of);
                        if !send_changes(&sender, &mut shown, now, &mut first) {
                            return;
                        }
                    }
                }
                if room.encryption_state().is_encrypted() {
                    let to_read: Vec<OwnedUserId> = shown
                        .iter()
                        .filter_map(|(_, person)| UserId::parse(&person.user_id).ok())
                        .filter(|user_id| {
                            !trust_of.contains_key(user_id) || stale.contains(user_id)
                        })
                        .collect();
                    for batch in to_read.chunks(TRUST_BATCH) {
                        for user_id in batch {
                            trust_of.insert(user_id.clone(), trust_in(&room, user_id).await);
                            stale.remove(user_id);
                        }
                        let now = with_trust(shown.clone(), &trust_of);
                        if !send_changes(&sender, &mut shown, now, &mut first) {
                            return;
                        }
                    }
                }
                tokio::select! {
                    changed = members.next() => {
                        if changed.is_none() { return }
                        read_people_again = true;
                    }
                    changed = levels.next() => {
                        if changed.is_none() { return }
                        read_people_again = true;
                    }
                    changed = async {
                        match identities.as_mut() {
                            Some(stream) => stream.next().await,
                            None => std::future::pending().await,
                        }
                    } => {
                        read_people_again = false;
                        match changed {
                            Some(updates) => {
                                let me = room.own_user_id();
                                let changed: Vec<&UserId> = updates
                                    .new
                                    .keys()
                                    .chain(updates.changed.keys())
                                    .map(|user_id| user_id.as_ref())
                                    .collect();
                                if changed.contains(&me) {
                                    // This user's own identity changed (a reset, say): every
                                    // verification they made is read again.
                                    stale.extend(trust_of.keys().cloned());
                                } else {
                                    stale.extend(
                                        changed
                                            .into_iter()
                                            .filter(|user_id| trust_of.contains_key(*user_id))
                                            .map(ToOwned::to_owned),
                                    );
                                }
                            }
                            None => identities = None,
                        }
                    }
                }
                tokio::time::sleep(SETTLE).await;
            }
        })
    }

    /// Makes someone an admin, a moderator or a member. Refused by the server when this user's
    /// power is not above theirs (only oneself may step down from one's own level).
    #[instrument(skip(self), fields(room = %self.room.room_id()))]
    pub async fn set_role(&self, user_id: &str, role: Role) -> Result<(), RoomError> {
        let user_id = parse_user_id(user_id)?;
        let levels = self
            .room
            .power_levels()
            .await
            .map_err(|error| RoomError::from_sdk(error.into()))?;
        let users_default: i64 = levels.users_default.into();
        let power = role.power(users_default);
        self.room
            .update_power_levels(vec![(&user_id, power.try_into().unwrap_or_default())])
            .await
            .map(drop)
            .map_err(RoomError::from_sdk)
    }

    /// Removes someone (they may come back if the room lets them), with a reason they see.
    #[instrument(skip(self, reason), fields(room = %self.room.room_id()))]
    pub async fn remove(&self, user_id: &str, reason: Option<&str>) -> Result<(), RoomError> {
        let user_id = parse_user_id(user_id)?;
        let reason = bounded_reason(reason)?;
        self.room
            .kick_user(&user_id, reason.as_deref())
            .await
            .map_err(RoomError::from_sdk)
    }

    /// Bans someone: removed, and kept out until unbanned.
    #[instrument(skip(self, reason), fields(room = %self.room.room_id()))]
    pub async fn ban(&self, user_id: &str, reason: Option<&str>) -> Result<(), RoomError> {
        let user_id = parse_user_id(user_id)?;
        let reason = bounded_reason(reason)?;
        self.room
            .ban_user(&user_id, reason.as_deref())
            .await
            .map_err(RoomError::from_sdk)
    }

    #[instrument(skip(self), fields(room = %self.room.room_id()))]
    pub async fn unban(&self, user_id: &str) -> Result<(), RoomError> {
        let user_id = parse_user_id(user_id)?;
        self.room
            .unban_user(&user_id, None)
            .await
            .map_err(RoomError::from_sdk)
    }

    /// Lets in someone who asked to join (an invitation, which they accept).
    #[instrument(skip(self), fields(room = %self.room.room_id()))]
    pub async fn accept_knock(&self, user_id: &str) -> Result<(), RoomError> {
        let user_id = parse_user_id(user_id)?;
        self.room
            .invite_user_by_id(&user_id)
            .await
            .map_err(RoomError::from_sdk)
    }

    /// Turns away someone who asked to join, with a reason they see.
    #[instrument(skip(self, reason), fields(room = %self.room.room_id()))]
    pub async fn refuse_knock(&self, user_id: &str, reason: Option<&str>) -> Result<(), RoomError> {
        self.remove(user_id, reason).await
    }
}

fn bounded_reason(reason: Option<&str>) -> Result<Option<String>, RoomError> {
    let reason = reason.map(str::trim).filter(|reason| !reason.is_empty());
    match reason {
        Some(reason) if reason.chars().count() > MOST_REASON_CHARS => {
            Err(RoomError::TextTooLong(MOST_REASON_CHARS))
        }
        reason => Ok(reason.map(ToOwned::to_owned)),
    }
}

/// Sends what changed from `shown` to `now` (the whole list the first time), and keeps `now`
/// as shown. `false` once the subscriber is gone.
fn send_changes(
    sender: &crate::subscription::UpdateSender<Vec<ListDiff<RoomPerson>>>,
    shown: &mut Vec<(String, RoomPerson)>,
    now: Vec<(String, RoomPerson)>,
    first: &mut bool,
) -> bool {
    let diffs = if *first {
        *first = false;
        vec![ListDiff::Reset {
            values: now.iter().map(|(_, person)| person.clone()).collect(),
        }]
    } else {
        sorted_changes(shown, &now)
    };
    *shown = now;
    diffs.is_empty() || sender.send(diffs)
}

/// The changes that turn one sorted list into another: a single walk over both.
fn sorted_changes(
    old: &[(String, RoomPerson)],
    new: &[(String, RoomPerson)],
) -> Vec<ListDiff<RoomPerson>> {
    let mut diffs = Vec::new();
    let (mut at_old, mut at_new, mut index) = (0, 0, 0);
    while at_old < old.len() || at_new < new.len() {
        match (old.get(at_old), new.get(at_new)) {
            (Some(before), Some(after)) if before.1.user_id == after.1.user_id => {
                if before.1 != after.1 {
                    diffs.push(ListDiff::Set {
                        index,
                        value: after.1.clone(),
                    });
                }
                at_old += 1;
                at_new += 1;
                index += 1;
            }
            (Some(before), Some(after)) if order(before, after) == Ordering::Less => {
                diffs.push(ListDiff::Remove { index });
                at_old += 1;
            }
            (Some(_), Some(after)) => {
                diffs.push(ListDiff::Insert {
                    index,
                    value: after.1.clone(),
                });
                at_new += 1;
                index += 1;
            }
            (Some(_), None) => {
                diffs.push(ListDiff::Remove { index });
                at_old += 1;
            }
            (None, Some(after)) => {
                diffs.push(ListDiff::Insert {
                    index,
                    value: after.1.clone(),
                });
                at_new += 1;
                index += 1;
            }
            (None, None) => break,
        }
    }
    diffs
}

/// Gives each person the trust read for them, if any.
fn with_trust(
    mut people: Vec<(String, RoomPerson)>,
    trust_of: &HashMap<OwnedUserId, Trust>,
) -> Vec<(String, RoomPerson)> {
    for (_, person) in &mut people {
        if let Some(trust) = trust_of.get(person.user_id.as_str()) {
            person.trust = *trust;
        }
    }
    people
}

/// Everyone in the room, sorted, each with the key they are sorted by. From the server once
/// (the full list), from the store when it cannot be reached; `None` when neither can say.
async fn read_people(room: &Room) -> Option<Vec<(String, RoomPerson)>> {
    let memberships = RoomMemberships::JOIN
        | RoomMemberships::INVITE
        | RoomMemberships::KNOCK
        | RoomMemberships::BAN;
    let members = match load_members(room, memberships).await {
        Ok(members) => members,
        Err(error) => {
            warn!(%error, "the room's people could not be read");
            return None;
        }
    };
    let levels = room.power_levels_or_default().await;
    let mut people: Vec<(String, RoomPerson)> = members
        .iter()
        .filter_map(|member| {
            let standing = match member.membership() {
                MembershipState::Join => Standing::Joined,
                MembershipState::Invite => Standing::Invited,
                MembershipState::Knock => Standing::AskingToJoin,
                MembershipState::Ban => Standing::Banned,
                _ => return None,
            };
            let power = power_of(&levels, member.user_id());
            let reason = match standing {
                Standing::AskingToJoin | Standing::Banned => member
                    .event()
                    .reason()
                    .map(|reason| reason.chars().take(MOST_REASON_CHARS).collect()),
                _ => None,
            };
            let person = RoomPerson {
                user_id: member.user_id().to_string(),
                display_name: member.display_name().map(ToOwned::to_owned),
                avatar_url: member.avatar_url().map(ToString::to_string),
                standing,
                power,
                role: Role::of_power(power),
                trust: Trust::Unknown,
                reason,
            };
            Some((person.sort_name(), person))
        })
        .collect();
    people.sort_by(order);
    Some(people)
}

async fn trust_in(room: &Room, user_id: &UserId) -> Trust {
    if user_id == room.own_user_id() {
        return Trust::Unknown;
    }
    match room.client().encryption().get_user_identity(user_id).await {
        Ok(Some(identity)) if identity.has_verification_violation() => Trust::Changed,
        Ok(Some(identity)) if identity.is_verified() => Trust::Verified,
        Ok(Some(_)) => Trust::NotVerified,
        // No keys known for them: nothing to verify (yet).
        Ok(None) => Trust::Unknown,
        Err(error) => {
            warn!(%error, "an identity could not be read");
            Trust::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, standing: Standing, power: i64) -> (String, RoomPerson) {
        let person = RoomPerson {
            user_id: format!("@{name}:example.org"),
            display_name: Some(name.to_owned()),
            avatar_url: None,
            standing,
            power,
            role: Role::of_power(power),
            trust: Trust::Unknown,
            reason: None,
        };
        (person.sort_name(), person)
    }

    fn sorted(mut people: Vec<(String, RoomPerson)>) -> Vec<(String, RoomPerson)> {
        people.sort_by(order);
        people
    }

    fn applied(old: &[(String, RoomPerson)], new: &[(String, RoomPerson)]) -> Vec<RoomPerson> {
        let mut list: Vec<RoomPerson> = old.iter().map(|(_, person)| person.clone()).collect();
        for diff in sorted_changes(old, new) {
            assert!(diff.apply_to(&mut list), "each change fits the list");
        }
        list
    }

    #[test]
    fn asking_first_then_admins_then_by_name() {
        let people = sorted(vec![
            person("zoe", Standing::Joined, 0),
            person("bob", Standing::Invited, 0),
            person("yann", Standing::Joined, 100),
            person("anne", Standing::Joined, 0),
            person("carl", Standing::AskingToJoin, 0),
            person("dan", Standing::Banned, 0),
        ]);
        let names: Vec<_> = people.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["carl", "yann", "anne", "zoe", "bob", "dan"]);
    }

    #[test]
    fn changes_rebuild_the_new_list_from_the_old() {
        let old = sorted(vec![
            person("anne", Standing::Joined, 0),
            person("bob", Standing::Invited, 0),
            person("carl", Standing::AskingToJoin, 0),
            person("zoe", Standing::Joined, 0),
        ]);
        // Carl let in, bob joined, zoe made an admin, eve new, anne renamed.
        let mut renamed = person("anne", Standing::Joined, 0);
        renamed.1.display_name = Some("Anne M.".to_owned());
        renamed.0 = renamed.1.sort_name();
        let new = sorted(vec![
            renamed,
            person("bob", Standing::Joined, 0),
            person("carl", Standing::Invited, 0),
            person("zoe", Standing::Joined, 100),
            person("eve", Standing::Joined, 0),
        ]);
        let expected: Vec<RoomPerson> = new.iter().map(|(_, person)| person.clone()).collect();
        assert_eq!(applied(&old, &new), expected);
        assert!(sorted_changes(&new, &new).is_empty());
        assert_eq!(applied(&old, &[]), Vec::<RoomPerson>::new());
        assert_eq!(applied(&[], &new), expected);
    }

    #[test]
    fn reasons_are_bounded_and_blank_is_none() {
        assert_eq!(bounded_reason(Some("  ")).expect("blank"), None);
        assert_eq!(
            bounded_reason(Some(" spam ")).expect("short"),
            Some("spam".to_owned())
        );
        assert!(matches!(
            bounded_reason(Some(&"x".repeat(MOST_REASON_CHARS + 1))),
            Err(RoomError::TextTooLong(_))
        ));
    }
}
