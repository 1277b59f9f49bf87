import type { TimelineEvent, TimelineItem } from "../../lib/bindings";

/** Messages from one sender within this gap share a header, as in Element. */
const GROUP_GAP_MS = 5 * 60 * 1000;

function isMessage(event: TimelineEvent): boolean {
  return event.content.kind !== "state_change";
}

/** Whether `items[index]` starts a new group (shows sender name and avatar). */
export function startsGroup(items: readonly TimelineItem[], index: number): boolean {
  const item = items[index];
  if (!item || item.type !== "event" || !isMessage(item)) return false;
  const previous = items[index - 1];
  if (!previous || previous.type !== "event" || !isMessage(previous)) return true;
  return (
    previous.sender.user_id !== item.sender.user_id ||
    item.timestamp_ms - previous.timestamp_ms > GROUP_GAP_MS
  );
}

/**
 * A new room's set-up, as Element groups it: the creation and the state changes its creator
 * made right after (name, permissions, invitations…), shown as one line, "bob created and
 * configured the room". Encryption being turned on stays a line of its own, as in Element:
 * people must see it. Maps the index of each run's first item (the creation) to the indices
 * folded into it.
 */
export function setUpRuns(items: readonly TimelineItem[]): Map<number, number[]> {
  const runs = new Map<number, number[]>();
  for (let start = 0; start < items.length; start++) {
    const first = items[start];
    if (first?.type !== "event" || first.content.kind !== "state_change" || first.content.change !== "room_created") continue;
    const folded: number[] = [];
    let end = start + 1;
    while (end < items.length) {
      const next = items[end];
      if (next?.type !== "event" || next.content.kind !== "state_change" || next.sender.user_id !== first.sender.user_id) break;
      if (next.content.change !== "encryption_enabled") folded.push(end);
      end++;
    }
    if (folded.length > 0) runs.set(start, folded);
    start = end - 1;
  }
  return runs;
}
