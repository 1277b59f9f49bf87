// What the others learn of the person at the keyboard, at a measured pace: that they type
// (told when it starts, again while it goes on, once when it stops), and how far they have read
// (once the reading settles, not once per scroll event).

/** Typing notices, throttled: one when typing starts, one every `resendMs` while it goes on
 * (the server forgets a notice after a while), one when it stops. */
export class TypingNotices {
  /** When "typing" was last told; `null` while the others think nobody types. */
  #toldAt: number | null = null;

  constructor(
    private readonly tell: (typing: boolean) => void,
    private readonly resendMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called on every keystroke (`true`) and when the composer empties or is left (`false`). */
  update(typing: boolean): void {
    if (typing) {
      const now = this.now();
      if (this.#toldAt !== null && now - this.#toldAt < this.resendMs) return;
      this.#toldAt = now;
      this.tell(true);
    } else if (this.#toldAt !== null) {
      this.#toldAt = null;
      this.tell(false);
    }
  }
}

/** Runs `action` once things have been quiet for `quietMs`: each `poke` starts the wait again. */
export class WhenSettled {
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly action: () => void,
    private readonly quietMs: number,
  ) {}

  poke(): void {
    this.cancel();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.action();
    }, this.quietMs);
  }

  cancel(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
