// Which section of the room list a room is shown in, in the order shown: invitations on top,
// then favourites, people's conversations and group rooms, low priority last.

import type { RoomSummary } from "../../lib/bindings";

export type RoomSection = "invites" | "favourites" | "people" | "rooms" | "low_priority";

/** A room tagged both favourite and low priority (another client may do it) is a favourite. */
export function sectionOf(room: Pick<RoomSummary, "membership" | "is_direct" | "is_favourite" | "is_low_priority">): RoomSection {
  if (room.membership === "invited") return "invites";
  if (room.is_favourite) return "favourites";
  if (room.is_low_priority) return "low_priority";
  return room.is_direct ? "people" : "rooms";
}
