import { describe, expect, it } from "vitest";
import type { Member } from "../../lib/bindings";
import { matchMembers, mentionLabel, mentionQuery } from "./autocomplete";

const member = (user_id: string, display_name: string | null): Member => ({ user_id, display_name, avatar_url: null, joined: true });
const members = [
  member("@anne:gouv.fr", "Anne Marie Dupont"),
  member("@bob:gouv.fr", "Bob"),
  member("@zoe:gouv.fr", "Zoé Martin"),
  member("@me:gouv.fr", "Me"),
];

describe("mention autocomplete", () => {
  it("reads the @word before the caret only", () => {
    expect(mentionQuery("hello @an", 9)).toEqual({ start: 6, query: "an" });
    expect(mentionQuery("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionQuery("mail@gouv", 9)).toBeNull();
    expect(mentionQuery("@an tail", 8)).toBeNull();
  });

  it("matches names by any word, accents aside, then IDs, never the user", () => {
    expect(matchMembers(members, "marie", "@me:gouv.fr").map((m) => m.user_id)).toEqual(["@anne:gouv.fr"]);
    expect(matchMembers(members, "zoe", "@me:gouv.fr").map((m) => m.user_id)).toEqual(["@zoe:gouv.fr"]);
    expect(matchMembers(members, "bob:g", "@me:gouv.fr").map((m) => m.user_id)).toEqual(["@bob:gouv.fr"]);
    expect(matchMembers(members, "", "@me:gouv.fr")).toHaveLength(3);
  });

  it("writes a person by name, or by ID when they have none", () => {
    expect(mentionLabel(member("@anne:gouv.fr", "Anne Marie Dupont"))).toBe("@Anne Marie Dupont");
    expect(mentionLabel(member("@bob:gouv.fr", null))).toBe("@bob:gouv.fr");
  });
});
