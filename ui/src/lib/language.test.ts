import { afterEach, describe, expect, it } from "vitest";
import { currentLanguage, formatList, t, useLanguage, useSystemLanguages } from "./i18n";

describe("switching the language", () => {
  afterEach(() => {
    useSystemLanguages(["en-GB"]);
    useLanguage("system");
  });

  it("speaks the chosen language at once", () => {
    useSystemLanguages(["en-US"]);
    useLanguage("fr");
    expect(currentLanguage()).toBe("fr");
    expect(t("settings.title")).toBe("Paramètres");
    expect(formatList(["a", "b", "c"])).toBe("a, b et c");
    useLanguage("en");
    expect(t("settings.title")).toBe("Settings");
    expect(formatList(["a", "b", "c"])).toBe("a, b, and c");
  });

  it("follows the system's languages when the choice is the system", () => {
    useSystemLanguages(["fr-FR"]);
    useLanguage("en");
    expect(t("settings.title")).toBe("Settings");
    useLanguage("system");
    expect(t("settings.title")).toBe("Paramètres");
    useSystemLanguages(["de-DE", "en-GB"]);
    expect(t("settings.title")).toBe("Settings");
  });

  it("keeps a chosen language when the system's are read later", () => {
    useLanguage("fr");
    useSystemLanguages(["en-US"]);
    expect(currentLanguage()).toBe("fr");
  });

  it("tells the page which language it is in, for screen readers", () => {
    useLanguage("fr");
    expect(document.documentElement.lang).toBe("fr");
    useLanguage("en");
    expect(document.documentElement.lang).toBe("en");
  });
});
