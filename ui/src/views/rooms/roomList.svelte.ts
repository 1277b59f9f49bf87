// One account's live room list: a `reset`, then diffs applied in place; and how far the list
// has loaded from the server (a large account's rooms arrive in batches after the first ones).

import { backend, type Live } from "../../lib/backend";
import type { RoomFilter, RoomListLoading, RoomListQuery, RoomSummary } from "../../lib/bindings";
import { applyDiffs } from "../../lib/diff";
import { sectionOf } from "./sections";

export class RoomListStore {
  rooms = $state<RoomSummary[]>([]);
  loaded = $state(false);
  query = $state<RoomListQuery>({ filter: "all", search: null });
  /** Null until the core has said; then whether every room the server counts has arrived. */
  loading = $state<RoomListLoading | null>(null);

  // The list's sections (`sectionOf`), each in the list's own order.
  invites = $derived(this.rooms.filter((room) => sectionOf(room) === "invites"));
  favourites = $derived(this.rooms.filter((room) => sectionOf(room) === "favourites"));
  people = $derived(this.rooms.filter((room) => sectionOf(room) === "people"));
  groups = $derived(this.rooms.filter((room) => sectionOf(room) === "rooms"));
  lowPriority = $derived(this.rooms.filter((room) => sectionOf(room) === "low_priority"));

  #live: Live | null = null;
  #loadingLive: Live | null = null;
  #stopped = false;

  constructor(readonly account: string) {}

  async start(): Promise<void> {
    this.#stopped = false;
    const live = await backend.watchRoomList(this.account, $state.snapshot(this.query), (update) => {
      if (!applyDiffs(this.rooms, update)) {
        // Out of step with the core: start again from a fresh `reset`.
        void this.restart();
        return;
      }
      this.loaded = true;
    });
    if (this.#stopped) live.close();
    else this.#live = live;
    if (!this.#loadingLive && !this.#stopped) {
      const loadingLive = await backend.watchRoomListLoading(this.account, (state) => {
        this.loading = state;
      });
      if (this.#stopped || this.#loadingLive) loadingLive.close();
      else this.#loadingLive = loadingLive;
    }
  }

  async restart(): Promise<void> {
    this.stop();
    this.rooms.length = 0;
    await this.start();
  }

  search(text: string): void {
    this.query.search = text.trim() === "" ? null : text;
    if (this.#live) void backend.setRoomListQuery(this.#live, $state.snapshot(this.query));
  }

  /** Shows only one kind of room ("all" for every room); the search applies within it. */
  filterBy(filter: RoomFilter): void {
    this.query.filter = filter;
    if (this.#live) void backend.setRoomListQuery(this.#live, $state.snapshot(this.query));
  }

  loadMore(): void {
    if (this.#live) void backend.loadMoreRooms(this.#live);
  }

  find(roomId: string | null): RoomSummary | null {
    return this.rooms.find((room) => room.id === roomId) ?? null;
  }

  stop(): void {
    this.#stopped = true;
    this.#live?.close();
    this.#live = null;
    this.#loadingLive?.close();
    this.#loadingLive = null;
  }
}
