// Which conversation the person is reading, so that it does not notify them, and where a
// clicked notification asks to go.

/**
 * WebKitGTK reports no window focus under some window managers (and none at all without one),
 * so focus alone would notify a person who is typing in the very room. The page counts as in
 * use when it has the focus, or when the person used it lately and it has not lost the focus
 * since (a blur comes when they switch to another window).
 */
const RECENT_USE_MS = 120_000;

class Reading {
  /** The conversation on screen: its account and room. */
  account = $state<string | null>(null);
  room = $state<string | null>(null);
  /** A room a clicked notification asked to open, taken by the account's main view. */
  requested = $state<{ account: string; room: string } | null>(null);

  private lastUse = 0;
  private blurredSinceUse = true;

  /** Starts watching the person's use of the page; returns the stop function. */
  watchUse(): () => void {
    const used = () => {
      this.lastUse = Date.now();
      this.blurredSinceUse = false;
    };
    const blurred = () => (this.blurredSinceUse = true);
    const events = ["pointerdown", "keydown", "wheel"] as const;
    for (const name of events) window.addEventListener(name, used, true);
    window.addEventListener("blur", blurred);
    return () => {
      for (const name of events) window.removeEventListener(name, used, true);
      window.removeEventListener("blur", blurred);
    };
  }

  private pageInUse(): boolean {
    if (document.visibilityState !== "visible") return false;
    if (document.hasFocus()) return true;
    return !this.blurredSinceUse && Date.now() - this.lastUse < RECENT_USE_MS;
  }

  /** Whether `room` of `account` is on screen in a window the person is using. */
  isReading(account: string, room: string): boolean {
    return this.account === account && this.room === room && this.pageInUse();
  }

  show(account: string, room: string | null): void {
    this.account = account;
    this.room = room;
  }
}

export const reading = new Reading();
