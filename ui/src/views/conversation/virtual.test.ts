import { describe, expect, it } from "vitest";
import { RowOffsets, rowOffsets, visibleRange } from "./virtual";

const ids = (count: number) => Array.from({ length: count }, (_, index) => `item-${index}`);

describe("virtual timeline rows", () => {
  it("renders only a screenful of a 10,000-item conversation", () => {
    const offsets = rowOffsets(ids(10_000), new Map(), 40);
    expect(offsets[10_000]).toBe(400_000);
    const atBottom = visibleRange(offsets, 400_000 - 800, 800, 400);
    expect(atBottom.end).toBe(10_000);
    expect(atBottom.end - atBottom.start).toBeLessThanOrEqual(42);
    const middle = visibleRange(offsets, 200_000, 800, 400);
    expect(middle.start).toBe(4990);
    expect(middle.end - middle.start).toBeLessThanOrEqual(42);
  });

  it("uses measured heights where known", () => {
    const heights = new Map([["item-0", 100], ["item-2", 10]]);
    const offsets = rowOffsets(ids(4), heights, 40);
    expect([...offsets]).toEqual([0, 100, 140, 150, 190]);
    expect(visibleRange(offsets, 120, 25, 0)).toEqual({ start: 1, end: 3 });
  });

  it("handles an empty list and a viewport past the end", () => {
    expect(visibleRange(rowOffsets([], new Map(), 40), 0, 500, 100)).toEqual({ start: 0, end: 0 });
    const offsets = rowOffsets(ids(3), new Map(), 40);
    expect(visibleRange(offsets, 10_000, 500, 0)).toEqual({ start: 2, end: 3 });
  });

  it("sums again only from the first changed row, and agrees with a full sum", () => {
    const heights = new Map<string, number>();
    const cache = new RowOffsets();
    const first = ids(10_000);
    expect(Array.from(cache.update(first, heights, 40, 0))).toEqual(Array.from(rowOffsets(first, heights, 40)));
    // A message at the end; a height measured in the middle; rows added at the top.
    const appended = [...first, "new"];
    heights.set("new", 90);
    expect(Array.from(cache.update(appended, heights, 40, 10_000))).toEqual(Array.from(rowOffsets(appended, heights, 40)));
    heights.set("item-5000", 10);
    expect(Array.from(cache.update(appended, heights, 40, 5_000))).toEqual(Array.from(rowOffsets(appended, heights, 40)));
    const prepended = ["older", ...appended];
    expect(Array.from(cache.update(prepended, heights, 40, 0))).toEqual(Array.from(rowOffsets(prepended, heights, 40)));
  });
});
