// One open room's timeline: the live conversation, a thread, or the history around one message
// (a reply's quote further back than what is loaded). Items live in a plain array (10,000
// proxied objects would be slow); `version` tells views that it changed.

import { backend, BackendError, type Live, type TimelineUpdate } from "../../lib/backend";
import type { Draft, EventSource, Member, OutgoingMessage, Permissions, TimelineItem } from "../../lib/bindings";
import { applyDiffs } from "../../lib/diff";
import { TypingNotices, WhenSettled } from "./reading";

/** Events asked for per back-pagination request. */
const PAGE = 50;
/** Delays before retrying a failed back-pagination, then the last one repeated. */
const RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000];
/** A room opens with at least this many events loaded (from the cache when it has them). */
export const INITIAL_EVENTS = 50;
/** Typing is told again this often while it goes on (the server forgets it after a while). */
const TYPING_RESEND_MS = 3_000;
/** Read receipts wait for the reading to settle: one call, not one per scroll event. */
const READ_DEBOUNCE_MS = 600;

export class TimelineStore {
  readonly items: TimelineItem[] = [];
  version = $state(0);
  loaded = $state(false);
  reachedStart = $state(false);
  /** The first screenful (`INITIAL_EVENTS`) is loaded. */
  initialLoadDone = $state(false);
  paginating = $state(false);
  /** Nothing newer to load: always so for the live conversation; for a history opened around
   * a message, once it reached the present. */
  reachedEnd = $state(true);
  loadingNewer = $state(false);
  /** The last page of newer messages failed; loading waits for the user's "Try now". */
  newerFailed = $state(false);
  /** The last back-pagination failed; another attempt is scheduled (or can be asked for). */
  paginationFailed = $state(false);
  error = $state<BackendError | null>(null);

  /** The lowest row changed since the view last asked (`takeChangedFrom`). */
  #changedFrom = 0;

  /** Where the view must start measuring again; then nothing is changed until the next update. */
  takeChangedFrom(): number {
    const from = this.#changedFrom;
    this.#changedFrom = Number.POSITIVE_INFINITY;
    return from;
  }

  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;

  #live: Live | null = null;
  #closed = false;

  /** Resolves once the conversation is open (or failed to open). */
  readonly ready: Promise<void>;
  #ready: () => void = () => undefined;

  constructor(
    readonly account: string,
    readonly roomId: string,
    /** Set for a thread's timeline: its first message. */
    readonly threadRoot: string | null = null,
    /** Set for the history around a message, rather than the live conversation. */
    readonly aroundEvent: string | null = null,
  ) {
    if (aroundEvent) this.reachedEnd = false;
    // Set here, after every field's own initialiser: a field declared later would replace it.
    this.ready = new Promise((resolve) => (this.#ready = resolve));
  }

  /** Ends `open`'s wait for the current value when the store is closed first. */
  #stopWaiting: () => void = () => undefined;

  async open(): Promise<void> {
    try {
      // The current value comes first on the channel, apart from the command's answer, and may
      // arrive after it: the conversation is open once it is shown, not before (a history
      // around a message looked for its message in an empty list).
      let shown: () => void = () => undefined;
      const firstUpdate = new Promise<void>((resolve) => (shown = resolve));
      this.#stopWaiting = shown;
      const onUpdate = (update: TimelineUpdate) => {
        const lengthBefore = this.items.length;
        this.#changedFrom = Math.min(this.#changedFrom, lowestChange(update, lengthBefore));
        if (!applyDiffs(this.items, update)) {
          void this.reopen();
          return;
        }
        // The SDK clears a timeline whose cache lost its continuity (a gap after a burst, say)
        // and expects it to be paginated again: after a clear or reset, only the items tell
        // whether the start is still there.
        const hasStart = this.items.some((item) => item.type === "timeline_start");
        if (hasStart) this.reachedStart = true;
        else if (update.some((diff) => diff.op === "clear" || diff.op === "reset")) this.reachedStart = false;
        this.loaded = true;
        this.version++;
        shown();
      };
      const live = this.aroundEvent
        ? await backend.openTimelineAround(this.account, this.roomId, this.aroundEvent, onUpdate)
        : this.threadRoot
          ? await backend.openThread(this.account, this.roomId, this.threadRoot, onUpdate)
          : await backend.openTimeline(this.account, this.roomId, onUpdate);
      if (this.#closed) {
        live.close();
        return;
      }
      this.#live = live;
      await firstUpdate;
      if (this.#closed) return;
      this.#ready();
      // The history around a message opens with the events on both sides of it.
      while (!this.aroundEvent && !this.#closed && !this.reachedStart && this.eventCount() < INITIAL_EVENTS) {
        const before = this.eventCount();
        await this.loadOlder();
        if (this.eventCount() === before && !this.reachedStart) break;
      }
      this.initialLoadDone = true;
    } catch (error) {
      this.error = error instanceof BackendError ? error : new BackendError("app.unexpected", String(error));
    } finally {
      this.#ready();
    }
  }

  eventCount(): number {
    return this.items.reduce((count, item) => count + (item.type === "event" ? 1 : 0), 0);
  }

  async reopen(): Promise<void> {
    this.#live?.close();
    this.#live = null;
    this.items.length = 0;
    this.#changedFrom = 0;
    this.version++;
    await this.open();
  }

  /** The page being loaded, which a second caller waits for rather than returning at once. */
  #loading: Promise<void> | null = null;

  /** Loads one page of older history; while one is loading, waits for it. */
  loadOlder(): Promise<void> {
    if (this.#loading) return this.#loading;
    if (!this.#live || this.reachedStart) return Promise.resolve();
    const loading = this.#loadPage().finally(() => (this.#loading = null));
    this.#loading = loading;
    return loading;
  }

  async #loadPage(): Promise<void> {
    if (!this.#live) return;
    this.#cancelRetry();
    this.paginating = true;
    try {
      this.reachedStart = await backend.paginateBackwards(this.#live, PAGE);
      this.#failures = 0;
      this.paginationFailed = false;
    } catch {
      // Offline or a server error: nothing is lost, the next attempt is scheduled and shown.
      this.paginationFailed = true;
      const delay = RETRY_DELAYS_MS[Math.min(this.#failures, RETRY_DELAYS_MS.length - 1)];
      this.#failures++;
      if (!this.#closed) this.#retryTimer = setTimeout(() => void this.loadOlder(), delay);
    } finally {
      this.paginating = false;
    }
  }

  /** Loads one page of newer history, in a history opened around a message. After a failure,
   * only a `retry` (the user's "Try now") asks again, not every scroll near the bottom. */
  async loadNewer(retry = false): Promise<void> {
    if (!this.#live || this.reachedEnd || this.loadingNewer || (this.newerFailed && !retry)) return;
    this.loadingNewer = true;
    try {
      this.reachedEnd = await backend.paginateForwards(this.#live, PAGE);
      this.newerFailed = false;
    } catch {
      // Offline or a server error: said at the bottom, with a button to try again.
      this.newerFailed = true;
    } finally {
      this.loadingNewer = false;
    }
  }

  #cancelRetry(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  async send(message: OutgoingMessage): Promise<void> {
    await backend.sendMessage(this.#opened(), message);
  }

  async edit(target: string, message: OutgoingMessage): Promise<void> {
    await backend.editMessage(this.#opened(), target, message);
  }

  async delete(target: string, reason: string | null): Promise<void> {
    await backend.deleteMessage(this.#opened(), target, reason);
  }

  async toggleReaction(target: string, key: string): Promise<void> {
    await backend.toggleReaction(this.#opened(), target, key);
  }

  async loadQuote(replyEventId: string): Promise<void> {
    await backend.loadQuote(this.#opened(), replyEventId);
  }

  async source(target: string): Promise<EventSource> {
    return backend.eventSource(this.#opened(), target);
  }

  watchPermissions(onUpdate: (permissions: Permissions) => void): Promise<Live> {
    return backend.watchPermissions(this.#opened(), onUpdate);
  }

  watchMembers(onUpdate: (members: Member[]) => void): Promise<Live> {
    return backend.watchMembers(this.#opened(), onUpdate);
  }

  #typing = new TypingNotices((typing) => {
    if (this.#live) void backend.setTyping(this.#live, typing).catch(() => undefined);
  }, TYPING_RESEND_MS);

  /** Called on every keystroke; the shell hears of it once every few seconds while typing
   * goes on, and once when it stops. */
  setTyping(typing: boolean): void {
    if (this.#live) this.#typing.update(typing);
  }

  watchTyping(onUpdate: (userIds: string[]) => void): Promise<Live> {
    return backend.watchTyping(this.#opened(), onUpdate);
  }

  async loadDraft(): Promise<Draft | null> {
    return backend.loadDraft(this.#opened());
  }

  async saveDraft(draft: Draft): Promise<void> {
    await backend.saveDraft(this.#opened(), draft);
  }

  /** The subscription, once open; a gesture before that is an error the caller shows. */
  #opened(): Live {
    if (!this.#live) throw new BackendError("app.unexpected", "the conversation is not open yet");
    return this.#live;
  }



  async retry(transactionId: string): Promise<void> {
    if (this.#live) await backend.retrySend(this.#live, transactionId);
  }

  async cancel(transactionId: string): Promise<void> {
    if (this.#live) await backend.cancelSend(this.#live, transactionId);
  }

  #readReceipt = new WhenSettled(() => {
    if (this.#live) void backend.sendReadReceipt(this.#live).catch(() => undefined);
  }, READ_DEBOUNCE_MS);
  /** The user has seen the end of the conversation since it opened. */
  #seenToTheEnd = false;
  /** The latest message the user has seen, read up to when the conversation closes: not
   * whatever arrived in the moment it took to close. */
  #lastSeen: string | null = null;

  #latestEventId(): string | null {
    for (let index = this.items.length - 1; index >= 0; index--) {
      const item = this.items[index];
      if (item?.type === "event" && item.event_id) return item.event_id;
    }
    return null;
  }

  /** The user sees the latest message: the others learn it (read receipt) once the reading
   * settles. The read marker stays where it was until the conversation closes, as in
   * Element, so that "Jump to first unread" still finds it. */
  markSeen(): void {
    // The bottom of a history opened around a message is not the latest message.
    if (this.aroundEvent) return;
    this.#seenToTheEnd = true;
    this.#lastSeen = this.#latestEventId() ?? this.#lastSeen;
    this.#readReceipt.poke();
  }

  /** Moves the read receipt and the read marker to the latest event, now. */
  markAsRead(): void {
    if (this.aroundEvent) return;
    this.#readReceipt.cancel();
    if (this.#live) void backend.markAsRead(this.#live).catch(() => undefined);
  }

  close(): void {
    this.#closed = true;
    this.#stopWaiting();
    this.#cancelRetry();
    this.#readReceipt.cancel();
    const live = this.#live;
    this.#live = null;
    if (!live) return;
    // Leaving a conversation read to its end moves the read marker there.
    const lastSeen = this.#lastSeen;
    if (this.#seenToTheEnd && lastSeen) {
      void backend.markReadUpTo(live, lastSeen).catch(() => undefined).finally(() => live.close());
    } else live.close();
  }
}

/** The first row a batch of diffs may change, given the list's length before it. */
function lowestChange(diffs: TimelineUpdate, lengthBefore: number): number {
  let lowest = Number.POSITIVE_INFINITY;
  let length = lengthBefore;
  for (const diff of diffs) {
    switch (diff.op) {
      case "append":
        lowest = Math.min(lowest, length);
        length += diff.values.length;
        break;
      case "push_back":
        lowest = Math.min(lowest, length);
        length += 1;
        break;
      case "pop_back":
        length = Math.max(0, length - 1);
        lowest = Math.min(lowest, length);
        break;
      case "insert":
        lowest = Math.min(lowest, diff.index);
        length += 1;
        break;
      case "set":
        lowest = Math.min(lowest, diff.index);
        break;
      case "remove":
        lowest = Math.min(lowest, diff.index);
        length = Math.max(0, length - 1);
        break;
      case "truncate":
        lowest = Math.min(lowest, diff.length);
        length = Math.min(length, diff.length);
        break;
      case "push_front":
      case "pop_front":
      case "clear":
      case "reset":
        return 0;
    }
  }
  return lowest;
}
