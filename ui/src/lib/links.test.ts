import { describe, expect, it } from "vitest";
import { linkNeedsConfirmation, shownTarget } from "./links";

describe("linkNeedsConfirmation", () => {
  it("opens at once a link that says where it goes", () => {
    expect(linkNeedsConfirmation("https://example.org/page?a=1", "https://example.org/page?a=1")).toBe(false);
    expect(linkNeedsConfirmation("example.org", "https://example.org/")).toBe(false);
    expect(linkNeedsConfirmation("https://Example.ORG", "https://example.org/")).toBe(false);
    expect(linkNeedsConfirmation("www.service-public.fr/particuliers", "https://www.service-public.fr/particuliers")).toBe(false);
    expect(linkNeedsConfirmation("alice@example.org", "mailto:alice@example.org")).toBe(false);
  });

  it("asks first when the text names another place, or none", () => {
    expect(linkNeedsConfirmation("https://www.impots.gouv.fr", "https://impots.example.net/")).toBe(true);
    expect(linkNeedsConfirmation("click here", "https://example.org/")).toBe(true);
    expect(linkNeedsConfirmation("", "https://example.org/")).toBe(true);
    expect(linkNeedsConfirmation("example.org", "https://example.org/other")).toBe(true);
    expect(linkNeedsConfirmation("https://example.org", "http://example.org/")).toBe(true);
    expect(linkNeedsConfirmation("https://example.org@evil.example", "https://evil.example/")).toBe(true);
    expect(linkNeedsConfirmation("alice@example.org", "mailto:mallory@example.org")).toBe(true);
  });

  it("never trusts a text with look-alike or invisible characters", () => {
    // Cyrillic "а" in place of Latin "a": the target is the same punycode host.
    expect(linkNeedsConfirmation("https://\u0430pple.com", "https://xn--pple-43d.com/")).toBe(true);
    expect(linkNeedsConfirmation("https://example.org\u200b", "https://example.org/")).toBe(true);
    expect(linkNeedsConfirmation("https://gro.elpmaxe\u202e", "https://example.org/")).toBe(true);
  });

  it("asks first when the target cannot be read", () => {
    expect(linkNeedsConfirmation("https://example.org", "not a url")).toBe(true);
  });
});

describe("shownTarget", () => {
  it("shows hosts in ASCII and paths without invisible characters", () => {
    expect(shownTarget("https://\u0430pple.com/")).toBe("https://xn--pple-43d.com/");
    expect(shownTarget("https://example.org/a\u202eb")).toBe("https://example.org/a%E2%80%AEb");
    expect(shownTarget("bad\u202e target")).toBe("bad target");
  });
});
