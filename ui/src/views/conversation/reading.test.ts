import { afterEach, describe, expect, it, vi } from "vitest";
import { TypingNotices, WhenSettled } from "./reading";

describe("typing notices", () => {
  it("are told when typing starts, every few seconds while it goes on, and once when it stops", () => {
    let now = 0;
    const told: boolean[] = [];
    const notices = new TypingNotices((typing) => told.push(typing), 3_000, () => now);
    // A key every 100 ms for 7 seconds: three notices, not seventy.
    for (; now < 7_000; now += 100) notices.update(true);
    expect(told).toEqual([true, true, true]);
    notices.update(false);
    notices.update(false);
    expect(told).toEqual([true, true, true, false]);
    // Typing again at once is told at once.
    notices.update(true);
    expect(told).toEqual([true, true, true, false, true]);
  });

  it("say nothing of stopping when nobody was told of typing", () => {
    const told: boolean[] = [];
    const notices = new TypingNotices((typing) => told.push(typing), 3_000, () => 0);
    notices.update(false);
    expect(told).toEqual([]);
  });
});

describe("a read receipt while reading", () => {
  afterEach(() => vi.useRealTimers());

  it("is sent once the scrolling settles, not once per scroll event", () => {
    vi.useFakeTimers();
    const sent = vi.fn();
    const receipt = new WhenSettled(sent, 600);
    for (let event = 0; event < 50; event++) {
      receipt.poke();
      vi.advanceTimersByTime(16);
    }
    expect(sent).not.toHaveBeenCalled();
    vi.advanceTimersByTime(600);
    expect(sent).toHaveBeenCalledTimes(1);
  });

  it("is not sent when the conversation closes first", () => {
    vi.useFakeTimers();
    const sent = vi.fn();
    const receipt = new WhenSettled(sent, 600);
    receipt.poke();
    receipt.cancel();
    vi.advanceTimersByTime(1_000);
    expect(sent).not.toHaveBeenCalled();
  });
});
