import { describe, expect, it } from "vitest";
import type { Member } from "../../lib/bindings";
import { matchMembers, mentionQuery, withMentions } from "./autocomplete";

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

  it("turns chosen mentions still in the text into links, and only those", () => {
    const chosen = new Map([
      ["@Anne Marie Dupont", "@anne:gouv.fr"],
      ["@Bob", "@bob:gouv.fr"],
    ]);
    const sent = withMentions("@Anne Marie Dupont et @Bob, voir @room", chosen, false);
    expect(sent.markdown).toBe(
      "[Anne Marie Dupont](https://matrix.to/#/@anne:gouv.fr) et [Bob](https://matrix.to/#/@bob:gouv.fr), voir @room",
    );
    expect(sent.userIds).toEqual(["@anne:gouv.fr", "@bob:gouv.fr"]);
    expect(sent.room).toBe(false);
    expect(withMentions("plus personne", chosen, true)).toEqual({ markdown: "plus personne", userIds: [], room: false });
    expect(withMentions("@room à tous", new Map(), true).room).toBe(true);
  });
});
