// What is being written in a conversation, written to the account's store once typing pauses
// and when the conversation closes, so that it survives switching rooms, accounts and
// restarting (the core keeps it, with its mentions and the reply or edit it is). The page keeps
// no draft of its own: a conversation opened again reads its draft once the last write of it
// has landed.

import type { Draft, DraftKind, Mention, TimelineEvent, TimelineItem } from "../../lib/bindings";

const SAVE_DELAY_MS = 400;

/** The last write of each conversation's draft, by account, room and thread. */
const lastWrites = new Map<string, Promise<void>>();

export class DraftKeeper {
  #pending: Draft | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** `conversation` names the account, room and thread whose draft this keeps. */
  constructor(
    private readonly conversation: string,
    private readonly save: (draft: Draft) => Promise<void>,
    private readonly onError: (failure: unknown) => void,
  ) {}

  /** The draft kept, read once any write of it still under way has landed. */
  async load(read: () => Promise<Draft | null>): Promise<Draft | null> {
    await lastWrites.get(this.conversation);
    return read();
  }

  changed(text: string, mentions: Mention[], kind: DraftKind): void {
    this.#pending = { text, mentions, kind };
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.flush(), SAVE_DELAY_MS);
  }

  /** Resolves once every write of this draft has landed: the conversation they go through
   * must stay open until then (closed at once, the last words typed would be lost). */
  written(): Promise<void> {
    return lastWrites.get(this.conversation) ?? Promise.resolve();
  }

  /** Writes what is pending now (a sent message: the empty draft, which removes it). */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const draft = this.#pending;
    this.#pending = null;
    if (!draft) return;
    const previous = lastWrites.get(this.conversation) ?? Promise.resolve();
    // In order: an older write landing last would bring back an older text.
    const write = previous.then(() => this.save(draft)).catch(this.onError);
    lastWrites.set(this.conversation, write);
    void write.then(() => {
      if (lastWrites.get(this.conversation) === write) lastWrites.delete(this.conversation);
    });
  }
}

/** The message a kept draft answers or edits, found among `items`; `null` for a new message,
 * or when the message is no longer loaded (the text comes back, as a new message). */
export function draftTarget(
  kept: Draft | null,
  items: readonly TimelineItem[],
): { replyingTo: TimelineEvent | null; editing: TimelineEvent | null } {
  const none = { replyingTo: null, editing: null };
  if (!kept || kept.kind.kind === "new") return none;
  const eventId = kept.kind.event_id;
  const event = items.find((item) => item.type === "event" && item.event_id === eventId);
  if (event?.type !== "event") return none;
  return kept.kind.kind === "reply" ? { replyingTo: event, editing: null } : { replyingTo: null, editing: event };
}
