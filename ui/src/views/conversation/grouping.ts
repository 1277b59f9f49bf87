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
