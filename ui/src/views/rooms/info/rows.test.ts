import { describe, expect, it } from "vitest";
import type { RoomPerson, Standing } from "../../../lib/bindings";
import { visibleRange } from "../../conversation/virtual";
import {
  layoutRows,
  matchesFilter,
  movePersonFocus,
  peopleRows,
  renderedRows,
  rowHeight,
  ROW_REM,
  scrollToShow,
} from "./rows";

const person = (user_id: string, standing: Standing, display_name: string | null = null, reason: string | null = null): RoomPerson => ({
  user_id,
  display_name,
  avatar_url: null,
  standing,
  power: 0,
  role: "member",
  trust: "unknown",
  reason,
});

const all = { accept: true, refuse: true, unban: true };
const none = { accept: false, refuse: false, unban: false };

describe("room people rows", () => {
  const people = [
    person("@knock:x", "asking_to_join", "Knocker", "Let me in"),
    person("@alice:x", "joined", "Alice"),
    person("@eric:x", "joined", "Éric Dupont"),
    person("@bob:x", "invited", "Bob"),
    person("@troll:x", "banned", null, "spam"),
  ];

  it("puts a heading with its count before each standing, in the core's order", () => {
    const rows = peopleRows(people, "");
    expect(rows.map((row) => (row.kind === "heading" ? `# ${row.standing} ${row.count}` : row.key))).toEqual([
      "# asking_to_join 1",
      "@knock:x",
      "# joined 2",
      "@alice:x",
      "@eric:x",
      "# invited 1",
      "@bob:x",
      "# banned 1",
      "@troll:x",
    ]);
  });

  it("groups by standing even when the list comes unsorted, and leaves out empty groups", () => {
    const rows = peopleRows([person("@b:x", "invited"), person("@a:x", "joined"), person("@c:x", "invited")], "");
    expect(rows.map((row) => row.key)).toEqual(["heading:joined", "@a:x", "heading:invited", "@b:x", "@c:x"]);
  });

  it("filters by name or ID, without minding case or accents", () => {
    expect(matchesFilter(people[2]!, "eric")).toBe(true);
    expect(matchesFilter(people[2]!, "DUPONT éric")).toBe(true);
    expect(matchesFilter(people[1]!, "@alice:")).toBe(true);
    expect(matchesFilter(people[1]!, "bob")).toBe(false);
    expect(matchesFilter(people[1]!, "   ")).toBe(true);
    const rows = peopleRows(people, "x eric");
    expect(rows.map((row) => row.key)).toEqual(["heading:joined", "@eric:x"]);
    expect(peopleRows(people, "nobody")).toEqual([]);
  });

  it("makes rows taller for a reason and for buttons, only where they show", () => {
    const rows = peopleRows(people, "");
    expect(rowHeight(rows[0]!, all)).toBe(ROW_REM.heading);
    expect(rowHeight(rows[1]!, all)).toBe(ROW_REM.person + ROW_REM.reason + ROW_REM.actions);
    expect(rowHeight(rows[1]!, none)).toBe(ROW_REM.person + ROW_REM.reason);
    expect(rowHeight(rows[3]!, all)).toBe(ROW_REM.person);
    expect(rowHeight(rows[8]!, { ...none, unban: true })).toBe(ROW_REM.person + ROW_REM.reason + ROW_REM.actions);
    const offsets = layoutRows(rows, none, 10);
    expect(offsets[1]).toBe(ROW_REM.heading * 10);
    expect(offsets.length).toBe(rows.length + 1);
  });

  it("renders a screenful of 5,000 people, and keeps the focused row rendered", () => {
    const many = Array.from({ length: 5000 }, (_, index) => person(`@p${index}:x`, "joined", `P ${index}`));
    const rows = peopleRows(many, "");
    const offsets = layoutRows(rows, none, 16);
    const range = visibleRange(offsets, 40_000, 600, 200);
    const rendered = renderedRows(range, 1, rows.length);
    expect(rendered.length).toBeLessThan(30);
    expect(rendered[0]).toBe(1);
    expect(rendered.slice(1)).toEqual(Array.from({ length: range.end - range.start }, (_, index) => range.start + index));
    expect(renderedRows(range, range.start + 1, rows.length)).not.toContain(1);
    expect(renderedRows(range, rows.length - 1, rows.length).at(-1)).toBe(rows.length - 1);
  });

  it("moves the focus between people, over headings, and stops at the ends", () => {
    const rows = peopleRows(people, "");
    expect(movePersonFocus(rows, 1, "ArrowDown")).toBe(3);
    expect(movePersonFocus(rows, 3, "ArrowUp")).toBe(1);
    expect(movePersonFocus(rows, 1, "ArrowUp")).toBe(1);
    expect(movePersonFocus(rows, 8, "ArrowDown")).toBe(8);
    expect(movePersonFocus(rows, 4, "Home")).toBe(1);
    expect(movePersonFocus(rows, 4, "End")).toBe(8);
    expect(movePersonFocus([], 0, "ArrowDown")).toBe(-1);
  });

  it("scrolls just enough to show a row", () => {
    const offsets = new Float64Array([0, 40, 80, 120, 160]);
    expect(scrollToShow(offsets, 0, 50, 60)).toBe(0);
    expect(scrollToShow(offsets, 1, 50, 60)).toBe(40);
    expect(scrollToShow(offsets, 3, 50, 60)).toBe(100);
    expect(scrollToShow(offsets, 2, 40, 60)).toBe(60);
    expect(scrollToShow(offsets, 1, 40, 60)).toBe(40);
  });
});
