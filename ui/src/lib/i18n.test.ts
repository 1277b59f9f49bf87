import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "./bindings";
import { dictionaries, errorText, pickLanguage, translate, type MessageKey } from "./i18n";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe("i18n", () => {
  it("is French on a French system and English otherwise", () => {
    expect(pickLanguage(["fr-FR", "en-US"])).toBe("fr");
    expect(pickLanguage(["fr_CA.UTF-8"])).toBe("fr");
    expect(pickLanguage(["de-DE", "en-GB"])).toBe("en");
    expect(pickLanguage(["de-DE"])).toBe("en");
    expect(pickLanguage([])).toBe("en");
  });

  it("has every message in both languages, with the same placeholders", () => {
    const keys = Object.keys(dictionaries.en) as MessageKey[];
    expect(Object.keys(dictionaries.fr).sort()).toEqual([...keys].sort());
    for (const key of keys) {
      expect(dictionaries.fr[key].trim(), key).not.toBe("");
      expect(placeholders(dictionaries.fr[key]), key).toEqual(placeholders(dictionaries.en[key]));
    }
  });

  it("has a text in both languages for every code a command can fail with", () => {
    for (const code of ERROR_CODES) {
      const key = `error.${code}` as MessageKey;
      expect(dictionaries.en[key]?.trim(), key).toBeTruthy();
      expect(dictionaries.fr[key]?.trim(), key).toBeTruthy();
    }
  });

  it("says an unknown failure's English message rather than nothing", () => {
    expect(errorText({ code: "auth.wrong_credentials", message: "the password is wrong" })).toBe(
      "Wrong username or password.",
    );
    expect(errorText({ code: "app.unexpected", message: "the window closed" })).toBe(
      "Something went wrong: \u2068the window closed\u2069",
    );
  });

  it("fills placeholders", () => {
    expect(translate("fr", "rooms.unread", { count: 3 })).toBe("3 non lus");
    expect(translate("en", "composer.label", { room: "bob" })).toBe("Message to \u2068bob\u2069");
  });
});
