// The language the UI speaks, as reactive state: `t` and the formatters read it, so every
// template and `$derived` that shows a translated string follows a switch at once, without a
// restart. Kept apart from `i18n.ts` because only `.svelte.ts` modules may hold runes.

import type { LanguageChoice } from "./bindings";

export type Language = "en" | "fr";

/** French on a French system; English otherwise. */
export function pickLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split(/[-_]/)[0];
    if (base === "fr") return "fr";
    if (base === "en") return "en";
  }
  return "en";
}

// Until the shell says what the system prefers, the webview's guess (webviews may ignore the
// user's locale).
const guess = pickLanguage(typeof navigator === "undefined" ? [] : (navigator.languages ?? [navigator.language]));

const state = $state<{ system: Language; choice: LanguageChoice }>({ system: guess, choice: "system" });

/** The language every string is shown in now. */
export function currentLanguage(): Language {
  return state.choice === "system" ? state.system : state.choice;
}

/** The system's languages as the shell reads them; they matter while the choice is "system". */
export function rememberSystemLanguages(tags: readonly string[]): void {
  if (tags.length > 0) state.system = pickLanguage(tags);
}

export function chooseLanguage(choice: LanguageChoice): void {
  state.choice = choice;
}
