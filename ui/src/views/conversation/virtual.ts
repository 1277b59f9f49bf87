// Which rows of a long list to render: only those near the viewport, so the DOM stays small
// however long the conversation is.

/** Prefix sums of row heights: `offsets[i]` is the top of row `i`, `offsets[n]` the total. */
export function rowOffsets(
  ids: readonly string[],
  heights: ReadonlyMap<string, number>,
  estimate: number,
): Float64Array {
  const offsets = new Float64Array(ids.length + 1);
  for (let index = 0; index < ids.length; index++) {
    offsets[index + 1] = offsets[index]! + (heights.get(ids[index]!) ?? estimate);
  }
  return offsets;
}

/**
 * [`rowOffsets`] kept between updates: only rows from the first one that changed (a new
 * message at the end, a height measured, an echo replaced) are summed again, so that a
 * 10,000-row conversation costs a few rows per update, not all of them.
 */
export class RowOffsets {
  #offsets = new Float64Array(1);

  /** `changedFrom`: the lowest row whose item or height may have changed since last time. */
  update(
    ids: readonly string[],
    heights: ReadonlyMap<string, number>,
    estimate: number,
    changedFrom: number,
  ): Float64Array {
    const from = Math.max(0, Math.min(changedFrom, ids.length, this.#offsets.length - 1));
    // A new array each time (a copy of the unchanged part is one memcpy): views compare
    // offsets by identity to know they changed.
    const offsets = new Float64Array(ids.length + 1);
    offsets.set(this.#offsets.subarray(0, from + 1));
    for (let index = from; index < ids.length; index++) {
      offsets[index + 1] = offsets[index]! + (heights.get(ids[index]!) ?? estimate);
    }
    this.#offsets = offsets;
    return offsets;
  }
}

/** The first row whose bottom is below `y`. */
function rowAt(offsets: Float64Array, y: number): number {
  let low = 0;
  let high = offsets.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (offsets[middle + 1]! <= y) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Rows `[start, end)` that intersect the viewport widened by `overscan` pixels each way. */
export function visibleRange(
  offsets: Float64Array,
  scrollTop: number,
  viewportHeight: number,
  overscan: number,
): { start: number; end: number } {
  const count = offsets.length - 1;
  if (count <= 0) return { start: 0, end: 0 };
  const start = Math.min(count - 1, rowAt(offsets, Math.max(0, scrollTop - overscan)));
  const end = Math.min(count, rowAt(offsets, scrollTop + viewportHeight + overscan) + 1);
  return { start, end: Math.max(start, end) };
}
