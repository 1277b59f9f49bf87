// This machine's settings, kept by the shell in the app's config file (the account's own,
// such as notification levels, live on the server). Loaded once at start; each change is
// applied at once and saved.

import { backend } from "../lib/backend";
import type { Preferences } from "../lib/bindings";
import { failureText, useLanguage } from "../lib/i18n";

/** What a missing or older config file stands for (the shell's defaults). */
export const DEFAULT_PREFERENCES: Required<Preferences> = {
  notifications: true,
  notification_sound: true,
  notification_content: true,
  theme: "system",
  text_size: "normal",
  compact: false,
  language: "system",
  // As the shell: apps stay in the dock on macOS, in the tray elsewhere (as Element).
  close_to_tray: typeof navigator === "undefined" || !/Mac OS X|Macintosh/.test(navigator.userAgent),
  start_with_session: false,
  calls_relay_only: false,
  call_microphone: null,
  call_camera: null,
  call_speaker: null,
};

/** The page's copy of the look, read before the shell answers, so that a dark theme does not
 * flash light at start. The config file stays the reference. */
const LOOK_KEY = "estafette.look";

class PreferencesStore {
  current = $state<Required<Preferences>>({ ...DEFAULT_PREFERENCES, ...cachedLook() });
  /** Saves go one after the other, so that a slow failing one cannot undo a later one. */
  #saving: Promise<unknown> = Promise.resolve();

  async load(): Promise<void> {
    const saved = await backend.preferences();
    this.current = { ...DEFAULT_PREFERENCES, ...stripUndefined(saved) };
    applyToPage(this.current);
  }

  /** Applies `change` at once and saves it; on failure, what it changed comes back (unless
   * changed again since) and the error is thrown for the caller to show. */
  set(change: Partial<Preferences>): Promise<void> {
    const changes = stripUndefined(change);
    const before = this.current;
    this.current = { ...before, ...changes };
    applyToPage(this.current);
    if (this.current.language !== before.language) useLanguage(this.current.language);
    const saved = this.#saving.then(() => backend.setPreferences($state.snapshot(this.current)));
    this.#saving = saved.catch(() => undefined);
    return saved.then(
      () => undefined,
      (error: unknown) => {
        const undone = { ...this.current };
        for (const key of Object.keys(changes) as (keyof Preferences)[]) {
          if (undone[key] === changes[key]) Object.assign(undone, { [key]: before[key] });
        }
        if (undone.language !== this.current.language) useLanguage(undone.language);
        this.current = undone;
        applyToPage(undone);
        throw error;
      },
    );
  }

  /** Like `set`, for a settings page: the words of the failure (the change undone), or `null`. */
  async change(change: Partial<Preferences>): Promise<string | null> {
    try {
      await this.set(change);
      return null;
    } catch (failure) {
      return failureText(failure);
    }
  }
}

function cachedLook(): Partial<Preferences> {
  try {
    const look: unknown = JSON.parse(localStorage.getItem(LOOK_KEY) ?? "{}");
    const preferences = typeof look === "object" && look !== null ? (look as Partial<Preferences>) : {};
    const cached: Partial<Preferences> = {
      theme: preferences.theme,
      text_size: preferences.text_size,
      compact: preferences.compact,
    };
    applyToPage({ ...DEFAULT_PREFERENCES, ...stripUndefined(cached) });
    return stripUndefined(cached);
  } catch {
    return {};
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
  try {
    const { theme, text_size, compact } = preferences;
    localStorage.setItem(LOOK_KEY, JSON.stringify({ theme, text_size, compact }));
  } catch {
    // Private storage unavailable: the look comes from the shell, a moment later.
  }
}

export const preferences = new PreferencesStore();
