import { describe, expect, it } from "vitest";
import type { Notice } from "../../lib/bindings";
import { FloodGate, SINGLE_NOTIFICATIONS, WINDOW_MS } from "./flood";

function notice(room: string, count = 1, highlight = false): Notice {
  return { room_id: room, room_name: room, is_direct: false, messages: [], count, highlight };
}

describe("FloodGate", () => {
  it("lets a few alerts through, then gathers the rest into one", () => {
    const gate = new FloodGate();
    for (let i = 0; i < SINGLE_NOTIFICATIONS; i++) expect(gate.admit("a", notice(`!${i}`), i)).toBe(true);
    expect(gate.admit("a", notice("!x", 4), 10)).toBe(false);
    expect(gate.admit("b", notice("!y", 1, true), 20)).toBe(false);
    expect(gate.admit("a", notice("!x", 2), 30)).toBe(false);
    const gathered = gate.flush(WINDOW_MS);
    expect(gathered).toMatchObject({ account: "a", messages: 7, rooms: 2, highlight: true });
    expect(gathered?.latest.room_id).toBe("!x");
    expect(gate.flush(WINDOW_MS + 1)).toBeNull();
  });

  it("leaves out what no longer matters when the summary is due", () => {
    const gate = new FloodGate();
    for (let i = 0; i < SINGLE_NOTIFICATIONS; i++) gate.admit("a", notice(`!${i}`), 0);
    gate.admit("a", notice("!opened", 3), 1);
    gate.admit("a", notice("!other", 2), 2);
    const gathered = gate.flush(WINDOW_MS, ({ notice }) => notice.room_id !== "!opened");
    expect(gathered).toMatchObject({ messages: 2, rooms: 1 });
    expect(gathered?.latest.room_id).toBe("!other");
  });

  it("shows alerts one by one again once the window has passed", () => {
    const gate = new FloodGate();
    for (let i = 0; i < SINGLE_NOTIFICATIONS; i++) gate.admit("a", notice(`!${i}`), 0);
    expect(gate.admit("a", notice("!late"), WINDOW_MS - 1)).toBe(false);
    gate.flush(WINDOW_MS);
    expect(gate.admit("a", notice("!next"), 2 * WINDOW_MS + 1)).toBe(true);
  });
});
