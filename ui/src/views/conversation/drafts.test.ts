import { describe, expect, it } from "vitest";
import type { Draft, TimelineItem } from "../../lib/bindings";
import { DraftKeeper, draftTarget } from "./drafts";

/** A store whose writes land when told to, as the core's may while a room is switched; the
 * newest first, as two writes left to race could. */
function slowStore() {
  let kept: Draft | null = null;
  const landing: (() => void)[] = [];
  return {
    save: (draft: Draft) =>
      new Promise<void>((resolve) =>
        landing.push(() => {
          kept = draft.text.trim() === "" ? null : draft;
          resolve();
        }),
      ),
    read: async () => kept,
    /** Lands the next write, once it has started. */
    async landNext() {
      for (let turn = 0; landing.length === 0 && turn < 100; turn++) await Promise.resolve();
      landing.pop()?.();
    },
  };
}

describe("drafts kept by the core", () => {
  it("reads a conversation's draft only once its last write has landed", async () => {
    const store = slowStore();
    const leaving = new DraftKeeper("a !room", store.save, () => undefined);
    leaving.changed("Bonjour @Anne", [{ label: "@Anne", user_id: "@anne:gouv.fr" }], { kind: "new" });
    leaving.flush();
    // The same conversation opened again at once, before the write landed.
    const reopened = new DraftKeeper("a !room", store.save, () => undefined);
    const loaded = reopened.load(store.read);
    await store.landNext();
    expect((await loaded)?.text).toBe("Bonjour @Anne");
    expect((await loaded)?.mentions).toEqual([{ label: "@Anne", user_id: "@anne:gouv.fr" }]);
  });

  it("writes in order, so an older text never comes back", async () => {
    const store = slowStore();
    const keeper = new DraftKeeper("a !other", store.save, () => undefined);
    keeper.changed("first", [], { kind: "new" });
    keeper.flush();
    keeper.changed("second", [], { kind: "new" });
    keeper.flush();
    const loaded = keeper.load(store.read);
    await store.landNext();
    await store.landNext();
    expect((await loaded)?.text).toBe("second");
  });

  it("a failed write is reported and does not block the next", async () => {
    const failures: unknown[] = [];
    let writes = 0;
    const keeper = new DraftKeeper(
      "a !failing",
      async () => {
        writes += 1;
        if (writes === 1) throw new Error("store closed");
      },
      (failure) => failures.push(failure),
    );
    keeper.changed("x", [], { kind: "new" });
    keeper.flush();
    keeper.changed("y", [], { kind: "new" });
    keeper.flush();
    await keeper.load(async () => null);
    expect(failures).toHaveLength(1);
    expect(writes).toBe(2);
  });
});

function message(id: string): TimelineItem {
  return {
    id,
    type: "event",
    event_id: `$${id}`,
    transaction_id: null,
    sender: { user_id: "@bob:gouv.fr", display_name: null, avatar_url: null },
    is_own: false,
    timestamp_ms: 0,
    content: { kind: "text", body: id, html: null },
    send_state: null,
    is_edited: false,
    reply_to: null,
    reactions: [],
    thread: null,
    thread_root: null,
    read_by: [],
    mentions_me: false,
    mentioned: [],
    can_edit: false,
    can_reply: true,
    shield: null,
  };
}

describe("the message a kept draft answers or edits", () => {
  const items = [message("a"), message("b")];
  const kept = (kind: Draft["kind"]): Draft => ({ text: "x", mentions: [], kind });

  it("comes back when it is loaded", () => {
    expect(draftTarget(kept({ kind: "reply", event_id: "$a" }), items)).toEqual({ replyingTo: items[0], editing: null });
    expect(draftTarget(kept({ kind: "edit", event_id: "$b" }), items)).toEqual({ replyingTo: null, editing: items[1] });
  });

  it("is none for a new message, no draft, or a message no longer loaded", () => {
    const none = { replyingTo: null, editing: null };
    expect(draftTarget(kept({ kind: "new" }), items)).toEqual(none);
    expect(draftTarget(null, items)).toEqual(none);
    expect(draftTarget(kept({ kind: "reply", event_id: "$gone" }), items)).toEqual(none);
  });
});
