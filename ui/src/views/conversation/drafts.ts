// What is being written in a conversation, written to the account's store once typing pauses
// and when the conversation closes, so that it survives switching rooms, accounts and
// restarting (the core keeps it, with the reply or edit it is).

import type { Draft, DraftKind } from "../../lib/bindings";

const SAVE_DELAY_MS = 400;

export class DraftKeeper {
  #pending: Draft | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly save: (draft: Draft) => Promise<void>,
    private readonly onError: (failure: unknown) => void,
  ) {}

  changed(text: string, kind: DraftKind): void {
    this.#pending = { text, kind };
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.flush(), SAVE_DELAY_MS);
  }

  /** Writes what is pending now (a sent message: the empty draft, which removes it). */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const draft = this.#pending;
    this.#pending = null;
    if (draft) this.save(draft).catch(this.onError);
  }
}
