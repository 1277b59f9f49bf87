import { describe, expect, it } from "vitest";
import { fileNameShown, isolate } from "./bidi";
import { translate } from "./i18n";

describe("text from other people", () => {
  it("is isolated inside our sentences, so that it cannot turn them around", () => {
    expect(isolate("\u202Eevil")).toBe("\u2068\u202Eevil\u2069");
    const sentence = translate("en", "accounts.switch_to", { user: "\u202Ebob" });
    expect(sentence).toBe("Switch to \u2068\u202Ebob\u2069");
    // Numbers are ours, not other people's.
    expect(translate("en", "recovery.check_label", { group: 3 })).not.toContain("\u2068");
  });

  it("shows file names without direction controls, so that their type reads true", () => {
    expect(fileNameShown("facture\u202Efdp.exe")).toBe("facturefdp.exe");
    expect(fileNameShown("\u2067rapport\u2069.pdf\u200F")).toBe("rapport.pdf");
    expect(fileNameShown("تقرير.pdf")).toBe("تقرير.pdf");
  });
});
