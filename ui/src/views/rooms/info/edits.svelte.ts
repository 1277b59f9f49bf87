// How the room settings keep up with the room while the user changes them.
//
// A text field (`TextField`) follows the room's value until the user edits it; it is saved with
// a button, and keeps what was typed when saving fails. A choice (`Choice`: radios, a checkbox)
// applies at once; a pick made while one is on its way is sent after it (arrow keys move
// through a radio group one option at a time), and on failure the control shows the room's
// value again.

import { untrack } from "svelte";

export class TextField {
  /** What the field holds. */
  value = $state("");
  /** The room's value the field started from, or last saved. */
  base = $state("");
  #seen: string;

  constructor(initial: string) {
    this.value = initial;
    this.base = initial;
    this.#seen = initial;
  }

  get changed(): boolean {
    return this.value !== this.base;
  }

  /** The room's value now: taken into the field unless the user has edited it. */
  follow(now: string): void {
    if (now === this.#seen) return;
    this.#seen = now;
    untrack(() => {
      if (this.value === this.base) this.value = now;
      this.base = now;
    });
  }

  /** Saved as `value`: the field now holds the room's value, unless the user typed on while
   * it was being saved (their new text stays, still to be saved). */
  saved(value: string): void {
    if (this.value.trim() === value.trim()) this.value = value;
    this.base = value;
  }
}

export class Choice<T> {
  #chosen = $state<{ value: T } | null>(null);
  #running = $state(false);
  #seen: T;
  status = $state<"saving" | "saved" | null>(null);
  error = $state<string | null>(null);

  constructor(
    current: T,
    private readonly apply: (value: T) => Promise<unknown>,
    private readonly describe: (failure: unknown) => string,
  ) {
    this.#seen = current;
  }

  get busy(): boolean {
    return this.#running;
  }

  /** What the control shows: the user's pick until the room has it, else the room's value. */
  shown(current: T): T {
    return this.#chosen ? this.#chosen.value : current;
  }

  /** The user picked `value`; `current` reads the room's value once the change is through. */
  async choose(value: T, current: () => T): Promise<void> {
    this.#chosen = { value };
    this.error = null;
    this.status = "saving";
    if (this.#running) return;
    this.#running = true;
    try {
      let sent: { value: T } | null = null;
      while (this.#chosen && (sent === null || !Object.is(this.#chosen.value, sent.value))) {
        sent = { value: this.#chosen.value };
        await this.apply(sent.value);
      }
      this.status = "saved";
      if (this.#chosen && Object.is(this.#chosen.value, current())) this.#chosen = null;
    } catch (failure) {
      this.#chosen = null;
      this.status = null;
      this.error = this.describe(failure);
    } finally {
      this.#running = false;
    }
  }

  /** The room's value now: once it changes and nothing is on its way, it is what shows. */
  follow(now: T): void {
    if (Object.is(now, this.#seen)) return;
    this.#seen = now;
    untrack(() => {
      if (!this.#running) this.#chosen = null;
    });
  }
}
