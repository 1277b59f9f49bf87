import { describe, expect, it } from "vitest";
import { loadEmoji, searchEmoji } from "./emoji";

describe("the reaction picker's emoji", () => {
  it("are named in French and English and found by name or keyword, accents aside", async () => {
    const french = await loadEmoji("fr");
    const english = await loadEmoji("en");
    expect(french.length).toBeGreaterThan(1500);
    expect(searchEmoji(french, "pouce", 5).map((emoji) => emoji.label)).toContain("pouce vers le haut");
    expect(searchEmoji(french, "fete", 60).some((emoji) => emoji.unicode === "🎉")).toBe(true);
    expect(searchEmoji(english, "thumbs up", 5).map((emoji) => emoji.label)).toContain("thumbs up");
    expect(searchEmoji(english, "", 3)).toHaveLength(3);
  });

  it("are found by their name in the other language, and shown in the interface's", async () => {
    const french = await loadEmoji("fr");
    const english = await loadEmoji("en");
    // The thumb is written with its emoji presentation selector (U+FE0F) in the data.
    expect(searchEmoji(french, "thumbs up", 5).map((emoji) => emoji.label)).toContain("pouce vers le haut");
    const partyInEnglish = searchEmoji(english, "fête", 60);
    expect(partyInEnglish.some((emoji) => emoji.unicode === "🎉")).toBe(true);
    expect(partyInEnglish.find((emoji) => emoji.unicode === "🎉")?.label).toBe("party popper");
    expect(searchEmoji(english, "coeur rouge", 5).map((emoji) => emoji.unicode)).toContain("❤️");
  });

  it("leave the skin-tone components out", async () => {
    const english = await loadEmoji("en");
    expect(english.some((emoji) => emoji.label.startsWith("light skin tone"))).toBe(false);
  });
});
