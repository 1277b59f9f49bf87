//! Calls between two people (Matrix's 1:1 VoIP: `m.call.*` events in the room).
pub mod media;
