import { describe, expect, it } from "vitest";
import type { Draft } from "../../lib/bindings";
import { DraftKeeper } from "./drafts";

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
