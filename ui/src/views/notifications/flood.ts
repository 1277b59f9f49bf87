// A flood across rooms: the core gathers each room's bursts, but a hundred rooms waking at
// once would still raise a hundred notifications and sounds. Past a few notifications in a
// short time, the rest wait and go as one ("12 new messages in 5 conversations").

import type { Notice } from "../../lib/bindings";

/** Notifications shown one by one within `WINDOW_MS` before the rest are gathered. */
export const SINGLE_NOTIFICATIONS = 3;
export const WINDOW_MS = 5_000;

export interface Gathered {
  /** The newest alert's account and room: where a click on the summary goes. */
  account: string;
  latest: Notice;
  messages: number;
  rooms: number;
  highlight: boolean;
}

export class FloodGate {
  private shown: number[] = [];
  private waiting: { account: string; notice: Notice }[] = [];

  /** Whether this alert may be shown on its own now; if not, it waits for `flush`. */
  admit(account: string, notice: Notice, now: number): boolean {
    this.shown = this.shown.filter((at) => now - at < WINDOW_MS);
    if (this.waiting.length === 0 && this.shown.length < SINGLE_NOTIFICATIONS) {
      this.shown.push(now);
      return true;
    }
    this.waiting.push({ account, notice });
    return false;
  }

  /**
   * What waited and still `matters` (its room not opened meanwhile, say), as one summary; then
   * the window starts again. `null` if nothing is left.
   */
  flush(now: number, matters: (alert: { account: string; notice: Notice }) => boolean = () => true): Gathered | null {
    const waiting = this.waiting.filter(matters);
    this.waiting = [];
    const last = waiting.at(-1);
    if (!last) return null;
    this.shown = [now];
    const rooms = new Set(waiting.map(({ account, notice }) => `${account} ${notice.room_id}`));
    return {
      account: last.account,
      latest: last.notice,
      messages: waiting.reduce((sum, { notice }) => sum + Math.max(notice.count, 1), 0),
      rooms: rooms.size,
      highlight: waiting.some(({ notice }) => notice.highlight),
    };
  }

  get hasWaiting(): boolean {
    return this.waiting.length > 0;
  }
}
