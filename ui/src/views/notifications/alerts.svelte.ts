// Desktop notifications: every signed-in account's alerts (the core decides what notifies,
// from the server's push rules, after decryption), shown through the system's service unless
// the person is reading that room, with a sound; a click opens the room.

import { backend } from "../../lib/backend";
import type { Notice } from "../../lib/bindings";
import { t } from "../../lib/i18n";
import { preferences } from "../preferences.svelte";
import { session } from "../session.svelte";
import { describeNotice, type NotificationText } from "./describe";
import { FloodGate, WINDOW_MS } from "./flood";
import { followAccounts, isSignedIn } from "./followAccounts.svelte";
import { reading } from "./reading.svelte";

const SOUNDS = { message: "/sounds/message.wav", mention: "/sounds/mention.wav" } as const;

function playSound(which: keyof typeof SOUNDS): void {
  const audio = new Audio(SOUNDS[which]);
  // No sound device is not an error worth telling.
  audio.play().catch(() => undefined);
}

/** Whether `notice` may notify now: notifications on, its account signed in, its room not read. */
function mayNotify(account: string, notice: Notice): boolean {
  return preferences.current.notifications && isSignedIn(account) && !reading.isReading(account, notice.room_id);
}

const gate = new FloodGate();
let flushTimer: ReturnType<typeof setTimeout> | null = null;

async function show(
  account: string,
  roomId: string,
  text: NotificationText,
  highlight: boolean,
  gathered = false,
): Promise<void> {
  if (preferences.current.notification_sound) playSound(highlight ? "mention" : "message");
  try {
    await backend.showNotification(
      { account_id: account, room_id: roomId, title: text.title, body: text.body, gathered },
      t("notify.open"),
    );
  } catch (failure) {
    // No notification service on this desktop: the room list's counts still say it.
    console.warn("notification not shown", failure);
  }
}

/** What waited during a flood, in one notification of its own. */
function showGathered(): void {
  flushTimer = null;
  const gathered = gate.flush(Date.now(), ({ account, notice }) => mayNotify(account, notice));
  if (!gathered) return;
  const body =
    gathered.messages === 1
      ? t("notify.new_message")
      : gathered.rooms > 1 && preferences.current.notification_content
        ? t("notify.flood", { messages: gathered.messages, rooms: gathered.rooms })
        : t("notify.new_messages", { count: gathered.messages });
  void show(gathered.account, gathered.latest.room_id, { title: t("app.name"), body }, gathered.highlight, true);
}

async function alert(account: string, notice: Notice): Promise<void> {
  if (!mayNotify(account, notice)) return;
  if (!gate.admit(account, notice, Date.now())) {
    flushTimer ??= setTimeout(showGathered, WINDOW_MS);
    return;
  }
  const text = describeNotice(notice, preferences.current.notification_content);
  await show(account, notice.room_id, text, notice.highlight);
}

/** Watches the alerts of every signed-in account while the page lives; returns the stop. */
export function startAlerts(): () => void {
  void backend.watchNotificationClicks((target) => {
    reading.requested = { account: target.account_id, room: target.room_id };
    if (session.currentId !== target.account_id) session.select(target.account_id);
  });
  const stopWatchingUse = reading.watchUse();
  const stopFollowing = followAccounts((account) =>
    backend.watchNotices(account, (notice) => void alert(account, notice)),
  );
  return () => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    stopFollowing();
    stopWatchingUse();
  };
}
