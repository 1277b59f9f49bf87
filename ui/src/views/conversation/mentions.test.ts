import { describe, expect, it } from "vitest";
import { mentionedUserIds } from "./mentions";

describe("intentional mentions", () => {
  it("finds each person linked with a matrix.to address once", () => {
    expect(
      mentionedUserIds("[Bob](https://matrix.to/#/@bob:example.org) and [B](https://matrix.to/#/%40bob%3Aexample.org), [Eve](https://matrix.to/#/@eve:gouv.fr)"),
    ).toEqual(["@bob:example.org", "@eve:gouv.fr"]);
  });

  it("ignores plain names, room links and other sites", () => {
    expect(mentionedUserIds("@bob:example.org hello")).toEqual([]);
    expect(mentionedUserIds("[room](https://matrix.to/#/!abc:example.org)")).toEqual([]);
    expect(mentionedUserIds("[bob](https://evil.example/#/@bob:example.org)")).toEqual([]);
  });

  it("survives a malformed escape", () => {
    expect(mentionedUserIds("[x](https://matrix.to/#/@%E0%A4%A)")).toEqual([]);
  });
});
