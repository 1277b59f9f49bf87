import { afterEach, describe, expect, it } from "vitest";
import { useLanguage } from "../../../lib/i18n";
import { historyChoices, memberCounts } from "./describe";

const plain = (text: string) => text.replace(/[\u2066-\u2069]/g, "");

describe("room info words", () => {
  afterEach(() => useLanguage("en"));

  it("counts members and invitations with each language's plural", () => {
    useLanguage("en");
    expect(plain(memberCounts(12, 2))).toBe("12 members, 2 invited");
    expect(plain(memberCounts(1, 0))).toBe("1 member");
    expect(plain(memberCounts(0, 1))).toBe("0 members, 1 invited");
    useLanguage("fr");
    expect(plain(memberCounts(0, 0))).toBe("0 membre");
    expect(plain(memberCounts(3, 1))).toBe("3 membres, 1 invité");
    expect(plain(memberCounts(3, 2))).toBe("3 membres, 2 invités");
  });

  it("offers 'Anyone' as history readers only in a room anyone with the link can join", () => {
    expect(historyChoices("invite_only", "members").map((choice) => choice.value)).toEqual([
      "members",
      "since_invited",
      "since_joined",
    ]);
    expect(historyChoices("anyone_with_link", "members").map((choice) => choice.value)).toContain("anyone");
    expect(historyChoices("ask_to_join", "anyone").map((choice) => choice.value)).toContain("anyone");
  });
});
