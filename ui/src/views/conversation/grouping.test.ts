import { describe, expect, it } from "vitest";
import type { StateChange, TimelineItem } from "../../lib/bindings";
import { setUpRuns } from "./grouping";

function state(id: string, sender: string, change: StateChange): TimelineItem {
  return {
    id,
    type: "event",
    event_id: `$${id}`,
    transaction_id: null,
    sender: { user_id: sender, display_name: null, avatar_url: null },
    is_own: false,
    timestamp_ms: 0,
    content: { kind: "state_change", ...change },
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
    can_reply: false,
    shield: null,
  };
}

const bob = "@bob:example.org";
const created: StateChange = { change: "room_created" };
const permissions: StateChange = { change: "setting_changed", setting: "permissions" };
const named: StateChange = { change: "room_name_changed", name: "Budget" };

describe("a new room's set-up", () => {
  it("folds the creation and its creator's following changes into one run", () => {
    const items = [
      { id: "start", type: "timeline_start" } as TimelineItem,
      state("a", bob, created),
      state("b", bob, permissions),
      state("c", bob, named),
      state("d", "@alice:example.org", named),
    ];
    expect([...setUpRuns(items)]).toEqual([[1, [2, 3]]]);
  });

  it("keeps encryption being turned on in sight", () => {
    const items = [state("a", bob, created), state("b", bob, { change: "encryption_enabled" }), state("c", bob, named)];
    expect([...setUpRuns(items)]).toEqual([[0, [2]]]);
  });

  it("leaves a lone creation and later changes alone", () => {
    expect(setUpRuns([state("a", bob, created)]).size).toBe(0);
    expect(setUpRuns([state("b", bob, permissions), state("c", bob, named)]).size).toBe(0);
  });
});
