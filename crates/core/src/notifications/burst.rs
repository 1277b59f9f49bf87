//! Bursts: a room that receives many messages at once alerts once, not once per message.
//!
//! A room's first message alerts at once. Those that follow within the window are held, and
//! alert together when the window ends (a front end replaces the room's earlier alert with
//! that one); then a new window starts. A quiet room alerts at once again. The clock is given
//! by the caller, so that the rule is tested without waiting.

use std::{collections::HashMap, hash::Hash, time::Duration};

use tokio::time::Instant;

/// The alerts of rooms, each room with its own window.
#[derive(Debug)]
pub(super) struct Bursts<Room, Item> {
    window: Duration,
    rooms: HashMap<Room, RoomBurst<Item>>,
}

#[derive(Debug)]
struct RoomBurst<Item> {
    /// When the room last alerted; the held items alert `window` later.
    last_alert: Instant,
    held: Vec<Item>,
}

impl<Room: Clone + Eq + Hash, Item> Bursts<Room, Item> {
    pub(super) fn new(window: Duration) -> Self {
        Self {
            window,
            rooms: HashMap::new(),
        }
    }

    /// An item arrives: it alerts now (returned), or is held until the room's window ends.
    pub(super) fn arrive(&mut self, room: Room, item: Item, now: Instant) -> Option<Vec<Item>> {
        self.forget_quiet_rooms(now);
        match self.rooms.get_mut(&room) {
            Some(burst) => {
                burst.held.push(item);
                None
            }
            None => {
                self.rooms.insert(
                    room,
                    RoomBurst {
                        last_alert: now,
                        held: Vec::new(),
                    },
                );
                Some(vec![item])
            }
        }
    }

    /// When the next held items are due, if any are held.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.rooms
            .values()
            .filter(|burst| !burst.held.is_empty())
            .map(|burst| burst.last_alert + self.window)
            .min()
    }

    /// The held items whose window has ended, room by room; each of those rooms starts a new
    /// window.
    pub(super) fn take_due(&mut self, now: Instant) -> Vec<(Room, Vec<Item>)> {
        let window = self.window;
        let mut due = Vec::new();
        for (room, burst) in &mut self.rooms {
            if !burst.held.is_empty() && burst.last_alert + window <= now {
                burst.last_alert = now;
                due.push((room.clone(), std::mem::take(&mut burst.held)));
            }
        }
        due
    }

    /// Rooms quiet for a whole window alert at once again; forgetting them also bounds memory.
    fn forget_quiet_rooms(&mut self, now: Instant) {
        let window = self.window;
        self.rooms
            .retain(|_, burst| !burst.held.is_empty() || burst.last_alert + window > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(3);

    #[test]
    fn a_first_message_alerts_at_once_and_a_burst_alerts_once_more() {
        let start = Instant::now();
        let mut bursts = Bursts::new(WINDOW);
        assert_eq!(bursts.arrive("team", 1, start), Some(vec![1]));
        for (i, item) in (2..=50).enumerate() {
            let at = start + Duration::from_millis(50 * i as u64);
            assert_eq!(
                bursts.arrive("team", item, at),
                None,
                "message {item} is held"
            );
        }
        assert_eq!(bursts.next_due(), Some(start + WINDOW));
        assert!(
            bursts
                .take_due(start + WINDOW - Duration::from_millis(1))
                .is_empty()
        );
        let due = bursts.take_due(start + WINDOW);
        assert_eq!(due, vec![("team", (2..=50).collect::<Vec<_>>())]);
        assert_eq!(bursts.next_due(), None, "nothing is held twice");
    }

    #[test]
    fn rooms_have_windows_of_their_own() {
        let start = Instant::now();
        let mut bursts = Bursts::new(WINDOW);
        assert_eq!(bursts.arrive("team", 1, start), Some(vec![1]));
        assert_eq!(bursts.arrive("bob", 2, start), Some(vec![2]));
        assert_eq!(
            bursts.arrive("team", 3, start + Duration::from_secs(1)),
            None
        );
        assert_eq!(bursts.take_due(start + WINDOW), vec![("team", vec![3])]);
    }

    #[test]
    fn a_room_quiet_for_a_window_alerts_at_once_again() {
        let start = Instant::now();
        let mut bursts = Bursts::new(WINDOW);
        assert_eq!(bursts.arrive("team", 1, start), Some(vec![1]));
        let later = start + WINDOW + Duration::from_millis(1);
        assert_eq!(bursts.arrive("team", 2, later), Some(vec![2]));
    }

    #[test]
    fn a_burst_that_goes_on_alerts_once_a_window() {
        let start = Instant::now();
        let mut bursts = Bursts::new(WINDOW);
        bursts.arrive("team", 0, start);
        let mut alerts = 1;
        let mut now = start;
        for item in 1..=100 {
            now += Duration::from_millis(200);
            alerts += usize::from(bursts.arrive("team", item, now).is_some());
            alerts += bursts.take_due(now).len();
        }
        // 20 seconds of messages five a second: about one alert per 3-second window.
        assert!((6..=8).contains(&alerts), "{alerts} alerts");
    }
}
