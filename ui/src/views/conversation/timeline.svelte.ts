// One open room's timeline. Items live in a plain array (10,000 proxied objects would be slow);
// `version` tells views that it changed.

import { backend, BackendError, type Live } from "../../lib/backend";
import type { TimelineItem } from "../../lib/bindings";
import { applyDiffs } from "../../lib/diff";

/** Events asked for per back-pagination request. */
const PAGE = 50;
/** A room opens with at least this many events loaded (from the cache when it has them). */
export const INITIAL_EVENTS = 50;

export class TimelineStore {
  readonly items: TimelineItem[] = [];
  version = $state(0);
  loaded = $state(false);
  reachedStart = $state(false);
  /** The first screenful (`INITIAL_EVENTS`) is loaded. */
  initialLoadDone = $state(false);
  paginating = $state(false);
  error = $state<BackendError | null>(null);

  #live: Live | null = null;
  #closed = false;

  constructor(
    readonly account: string,
    readonly roomId: string,
  ) {}

  async open(): Promise<void> {
    try {
      const live = await backend.openTimeline(this.account, this.roomId, (update) => {
        if (!applyDiffs(this.items, update)) {
          void this.reopen();
          return;
        }
        if (this.items.some((item) => item.type === "timeline_start")) this.reachedStart = true;
        this.loaded = true;
        this.version++;
      });
      if (this.#closed) {
        live.close();
        return;
      }
      this.#live = live;
      while (!this.#closed && !this.reachedStart && this.eventCount() < INITIAL_EVENTS) {
        const before = this.eventCount();
        await this.loadOlder();
        if (this.eventCount() === before && !this.reachedStart) break;
      }
      this.initialLoadDone = true;
    } catch (error) {
      this.error = error instanceof BackendError ? error : new BackendError("app.unexpected", String(error));
    }
  }

  eventCount(): number {
    return this.items.reduce((count, item) => count + (item.type === "event" ? 1 : 0), 0);
  }

  async reopen(): Promise<void> {
    this.#live?.close();
    this.#live = null;
    this.items.length = 0;
    this.version++;
    await this.open();
  }

  async loadOlder(): Promise<void> {
    if (!this.#live || this.paginating || this.reachedStart) return;
    this.paginating = true;
    try {
      this.reachedStart = await backend.paginateBackwards(this.#live, PAGE);
    } catch (error) {
      this.error = error instanceof BackendError ? error : null;
    } finally {
      this.paginating = false;
    }
  }

  async send(markdown: string): Promise<void> {
    if (!this.#live) return;
    await backend.sendMessage(this.#live, markdown);
  }

  async retry(transactionId: string): Promise<void> {
    if (this.#live) await backend.retrySend(this.#live, transactionId);
  }

  async cancel(transactionId: string): Promise<void> {
    if (this.#live) await backend.cancelSend(this.#live, transactionId);
  }

  markAsRead(): void {
    if (this.#live) void backend.markAsRead(this.#live).catch(() => undefined);
  }

  close(): void {
    this.#closed = true;
    this.#live?.close();
    this.#live = null;
  }
}
