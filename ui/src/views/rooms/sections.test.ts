import { describe, expect, it } from "vitest";
import type { Membership } from "../../lib/bindings";
import { sectionOf } from "./sections";

const room = (membership: Membership, is_direct: boolean, is_favourite = false, is_low_priority = false) => ({
  membership,
  is_direct,
  is_favourite,
  is_low_priority,
});

describe("room list sections", () => {
  it("keeps invitations on top, whatever their tags", () => {
    expect(sectionOf(room("invited", true, true))).toBe("invites");
    expect(sectionOf(room("invited", false, false, true))).toBe("invites");
  });

  it("puts favourites first and low priority last, people's conversations and rooms between", () => {
    expect(sectionOf(room("joined", true, true))).toBe("favourites");
    expect(sectionOf(room("joined", false, true))).toBe("favourites");
    expect(sectionOf(room("joined", true))).toBe("people");
    expect(sectionOf(room("joined", false))).toBe("rooms");
    expect(sectionOf(room("joined", false, false, true))).toBe("low_priority");
    expect(sectionOf(room("left", true, false, true))).toBe("low_priority");
  });

  it("makes a room tagged both a favourite", () => {
    expect(sectionOf(room("joined", false, true, true))).toBe("favourites");
  });
});
