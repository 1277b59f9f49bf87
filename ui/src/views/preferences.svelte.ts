// This machine's settings, kept by the shell in the app's config file (the account's own,
// such as notification levels, live on the server). Loaded once at start; each change is
// applied at once and saved.

import { backend } from "../lib/backend";
import type { Preferences } from "../lib/bindings";
import { useLanguage } from "../lib/i18n";

/** What a missing or older config file stands for (the shell's defaults). */
export const DEFAULT_PREFERENCES: Required<Preferences> = {
  notifications: true,
  notification_sound: true,
  notification_content: true,
  theme: "system",
  text_size: "normal",
  compact: false,
  language: "system",
  close_to_tray: true,
  start_with_session: false,
};

class PreferencesStore {
  current = $state<Required<Preferences>>({ ...DEFAULT_PREFERENCES });

  async load(): Promise<void> {
    const saved = await backend.preferences();
    this.current = { ...DEFAULT_PREFERENCES, ...stripUndefined(saved) };
    applyToPage(this.current);
  }

  /** Applies `change` at once and saves it; on failure, the earlier value comes back and the
   * error is thrown for the caller to show. */
  async set(change: Partial<Preferences>): Promise<void> {
    const before = this.current;
    const next = { ...before, ...stripUndefined(change) };
    this.current = next;
    applyToPage(next);
    if (next.language !== before.language) useLanguage(next.language);
    try {
      await backend.setPreferences(next);
    } catch (error) {
      this.current = before;
      applyToPage(before);
      if (next.language !== before.language) useLanguage(before.language);
      throw error;
    }
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** Theme, text size and density are attributes of the root element, read by `app.css`. */
function applyToPage(preferences: Required<Preferences>): void {
  if (typeof document === "undefined") return;
  const root = document.documentElement;
  root.dataset.theme = preferences.theme;
  root.dataset.textSize = preferences.text_size;
  root.dataset.density = preferences.compact ? "compact" : "comfortable";
}

export const preferences = new PreferencesStore();
