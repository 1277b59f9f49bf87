// The room info panel's list of people as rows of fixed heights: a heading before each
// standing (asking to join, joined, invited, banned), then its people in the core's order.
// Only the rows near the viewport are rendered; these functions say which.

import type { RoomPerson, Standing } from "../../../lib/bindings";

/** The standings in the order the core sorts them, and the panel shows them. */
export const STANDINGS: readonly Standing[] = ["asking_to_join", "joined", "invited", "banned"];

export type PeopleRow =
  | { kind: "heading"; key: string; standing: Standing; count: number }
  | { kind: "person"; key: string; person: RoomPerson };

/** Lower case, without accents, so that "eric" finds "Éric". */
function folded(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLocaleLowerCase();
}

/** A test of whether a person's name or ID contains every word of `filter`, in any order. */
function matcher(filter: string): (person: RoomPerson) => boolean {
  const words = folded(filter).split(/\s+/).filter(Boolean);
  if (words.length === 0) return () => true;
  return (person) => {
    const haystack = folded(`${person.display_name ?? ""} ${person.user_id}`);
    return words.every((word) => haystack.includes(word));
  };
}

/** Whether a person's name or ID contains the filter (every word of it, in any order). */
export function matchesFilter(person: RoomPerson, filter: string): boolean {
  return matcher(filter)(person);
}

/**
 * The rows of the list: the people matching `filter`, grouped by standing under a heading that
 * counts them, in the core's order within each group. A group with no one has no heading.
 */
export function peopleRows(people: readonly RoomPerson[], filter: string): PeopleRow[] {
  const groups = new Map<Standing, RoomPerson[]>(STANDINGS.map((standing) => [standing, []]));
  const matches = matcher(filter);
  for (const person of people) {
    if (matches(person)) groups.get(person.standing)?.push(person);
  }
  const rows: PeopleRow[] = [];
  for (const standing of STANDINGS) {
    const group = groups.get(standing) ?? [];
    if (group.length === 0) continue;
    rows.push({ kind: "heading", key: `heading:${standing}`, standing, count: group.length });
    for (const person of group) rows.push({ kind: "person", key: person.user_id, person });
  }
  return rows;
}

/** What a row may show besides the person: which decides its height. */
export interface RowAbilities {
  /** Accept someone asking to join. */
  accept: boolean;
  /** Refuse someone asking to join. */
  refuse: boolean;
  unban: boolean;
}

/** Heights in rem: the list's rows are laid out from these, so they must match the CSS. */
export const ROW_REM = { heading: 2.25, person: 2.75, reason: 1.5, actions: 2.5 } as const;

/** A row's height in rem: a person, and under them their reason and the buttons that apply. */
export function rowHeight(row: PeopleRow, may: RowAbilities): number {
  if (row.kind === "heading") return ROW_REM.heading;
  let height = ROW_REM.person;
  if (hasReason(row.person)) height += ROW_REM.reason;
  if (hasActions(row.person, may)) height += ROW_REM.actions;
  return height;
}

/** Whether the person's reason shows under their name (to ask, or why they were banned). */
export function hasReason(person: RoomPerson): boolean {
  return (person.standing === "asking_to_join" || person.standing === "banned") && !!person.reason?.trim();
}

/** Whether buttons show under the person: an answer to their asking, or lifting their ban. */
export function hasActions(person: RoomPerson, may: RowAbilities): boolean {
  if (person.standing === "asking_to_join") return may.accept || may.refuse;
  if (person.standing === "banned") return may.unban;
  return false;
}

/** `offsets[i]` is the top of row `i` in pixels, `offsets[rows.length]` the list's height. */
export function layoutRows(rows: readonly PeopleRow[], may: RowAbilities, remPx: number): Float64Array {
  const offsets = new Float64Array(rows.length + 1);
  for (let index = 0; index < rows.length; index++) {
    offsets[index + 1] = offsets[index]! + rowHeight(rows[index]!, may) * remPx;
  }
  return offsets;
}

/**
 * The rows to render: those of `range`, and the focused row wherever it is, so that the focus
 * never falls out of the page when the list scrolls away from it.
 */
export function renderedRows(range: { start: number; end: number }, focused: number, count: number): number[] {
  const indexes: number[] = [];
  for (let index = range.start; index < Math.min(range.end, count); index++) indexes.push(index);
  if (focused >= 0 && focused < count && (focused < range.start || focused >= range.end)) {
    if (focused < range.start) indexes.unshift(focused);
    else indexes.push(focused);
  }
  return indexes;
}

/** The person row a key moves to from `from` (headings are skipped), or -1 if none. */
export function movePersonFocus(rows: readonly PeopleRow[], from: number, key: string): number {
  const people = rows.flatMap((row, index) => (row.kind === "person" ? [index] : []));
  if (people.length === 0) return -1;
  switch (key) {
    case "Home":
      return people[0]!;
    case "End":
      return people[people.length - 1]!;
    case "ArrowDown":
      return people.find((index) => index > from) ?? people[people.length - 1]!;
    case "ArrowUp":
      return [...people].reverse().find((index) => index < from) ?? people[0]!;
    default:
      return from;
  }
}

/** The scroll position (in the list's own pixels) that brings row `index` fully into view. */
export function scrollToShow(offsets: Float64Array, index: number, scrollTop: number, viewportHeight: number): number {
  const top = offsets[index] ?? 0;
  const bottom = offsets[index + 1] ?? top;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.min(top, bottom - viewportHeight);
  return scrollTop;
}
