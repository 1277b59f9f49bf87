import { describe, expect, it } from "vitest";
import type { CallOutcome, CallRecord } from "../../lib/bindings";
import { callLine, spoken } from "./callLine";

function record(outcome: CallOutcome, outgoing: boolean, video = false): CallRecord {
  return { call_id: "c", event_id: "$e", video, outgoing, outcome };
}

describe("a call's row", () => {
  it("says what became of the call, in words", () => {
    const ended = callLine(record({ outcome: "ended", duration_ms: 185_000 }, true, true), true);
    expect(ended.title).toBe("Video call");
    // The duration is isolated inside the sentence, as every value is.
    expect(ended.detail.replace(/[\u2066-\u2069]/g, "")).toBe("Ended, lasted 3 min 5 s");
    expect(ended.missed).toBe(false);
    expect(callLine(record({ outcome: "declined" }, true), false).detail).toBe("Declined");
    expect(callLine(record({ outcome: "declined" }, false), false).detail).toBe("You declined");
    expect(callLine(record({ outcome: "busy" }, true), false).detail).toBe("Line busy");
    expect(callLine(record({ outcome: "ringing" }, false), false).detail).toBe("Ringing");
    expect(callLine(record({ outcome: "ongoing" }, false), false).detail).toBe("In progress");
  });

  it("marks a call missed here, and only here: the caller reads that nobody answered", () => {
    expect(callLine(record({ outcome: "unanswered" }, false, true), true)).toEqual({
      title: "Missed video call",
      detail: "",
      missed: true,
    });
    expect(callLine(record({ outcome: "unanswered" }, true), false)).toEqual({
      title: "Voice call",
      detail: "No answer",
      missed: false,
    });
  });

  it("says only that a call started while its outcome is unknown", () => {
    expect(callLine(undefined, true).title).toBe("Started a video call");
    expect(callLine(undefined, null).title).toBe("Started a call");
  });

  it("tells durations as people say them", () => {
    expect(spoken(0)).toBe("0 s");
    expect(spoken(44_600)).toBe("45 s");
    expect(spoken(3_725_000)).toBe("1 h 2 min");
  });
});
