import { describe, expect, it } from "vitest";
import type { ListDiff } from "./bindings";
import { applyDiffs } from "./diff";

describe("applyDiffs", () => {
  it("rebuilds a list from every kind of diff", () => {
    const list: string[] = ["stale"];
    const diffs: ListDiff<string>[] = [
      { op: "reset", values: ["b", "c"] },
      { op: "push_front", value: "a" },
      { op: "push_back", value: "e" },
      { op: "insert", index: 3, value: "d" },
      { op: "set", index: 1, value: "B" },
      { op: "append", values: ["f", "g"] },
      { op: "remove", index: 2 },
      { op: "pop_front" },
      { op: "pop_back" },
      { op: "truncate", length: 3 },
    ];
    expect(applyDiffs(list, diffs)).toBe(true);
    expect(list).toEqual(["B", "d", "e"]);
  });

  it("takes a reset or an append of half a million values (a huge room's people)", () => {
    const values = Array.from({ length: 500_000 }, (_, index) => index);
    const list = [1, 2, 3];
    expect(applyDiffs(list, [{ op: "reset", values }, { op: "append", values }])).toBe(true);
    expect(list.length).toBe(1_000_000);
    expect(list[500_000]).toBe(0);
  });

  it("clears", () => {
    const list = [1, 2, 3];
    expect(applyDiffs(list, [{ op: "clear" }])).toBe(true);
    expect(list).toEqual([]);
  });

  it("keeps the same array object so that views holding it update", () => {
    const list = [1];
    const same = list;
    applyDiffs(list, [{ op: "reset", values: [7, 8] }]);
    expect(same).toBe(list);
    expect(same).toEqual([7, 8]);
  });

  it("reports diffs that do not fit the list", () => {
    expect(applyDiffs([1], [{ op: "set", index: 1, value: 2 }])).toBe(false);
    expect(applyDiffs([1], [{ op: "remove", index: 5 }])).toBe(false);
    expect(applyDiffs([1], [{ op: "insert", index: 3, value: 2 }])).toBe(false);
    expect(applyDiffs<number>([], [{ op: "pop_front" }])).toBe(false);
    expect(applyDiffs<number>([], [{ op: "pop_back" }])).toBe(false);
  });

  it("stops at the first diff that does not fit", () => {
    const list = [1, 2];
    const ok = applyDiffs(list, [
      { op: "remove", index: 9 },
      { op: "push_back", value: 3 },
    ]);
    expect(ok).toBe(false);
    expect(list).toEqual([1, 2]);
  });

  it("a long room list takes diffs without re-sending the list", () => {
    const rooms = Array.from({ length: 500 }, (_, index) => `room ${index}`);
    // A new message moves room 250 to the top: remove + push_front, as the core sends it.
    applyDiffs(rooms, [{ op: "remove", index: 250 }, { op: "push_front", value: "room 250" }]);
    expect(rooms[0]).toBe("room 250");
    expect(rooms).toHaveLength(500);
    expect(rooms.filter((room) => room === "room 250")).toHaveLength(1);
  });
});
