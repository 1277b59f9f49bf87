// Desktop notifications: every signed-in account's alerts (the core decides what notifies,
// from the server's push rules, after decryption), shown through the system's service unless
// the person is reading that room, with a sound; a click opens the room.

import { backend, type Live } from "../../lib/backend";
import type { Notice } from "../../lib/bindings";
import { t } from "../../lib/i18n";
import { preferences } from "../preferences.svelte";
import { session } from "../session.svelte";
import { describeNotice, type NotificationText } from "./describe";
import { FloodGate, WINDOW_MS } from "./flood";
import { reading } from "./reading.svelte";

const SOUNDS = { message: "/sounds/message.wav", mention: "/sounds/mention.wav" } as const;

function playSound(which: keyof typeof SOUNDS): void {
  const audio = new Audio(SOUNDS[which]);
  // No sound device is not an error worth telling.
  audio.play().catch(() => undefined);
}

const gate = new FloodGate();
let flushTimer: ReturnType<typeof setTimeout> | null = null;

async function show(account: string, roomId: string, text: NotificationText, highlight: boolean): Promise<void> {
  if (preferences.current.notification_sound) playSound(highlight ? "mention" : "message");
  try {
    await backend.showNotification(
      { account_id: account, room_id: roomId, title: text.title, body: text.body, urgent: highlight },
      t("notify.open"),
    );
  } catch (failure) {
    // No notification service on this desktop: the room list's counts still say it.
    console.warn("notification not shown", failure);
  }
}

/** What waited during a flood, in one notification. */
function showGathered(): void {
  flushTimer = null;
  const gathered = gate.flush(Date.now());
  if (!gathered) return;
  const body =
    gathered.rooms > 1 && preferences.current.notification_content
      ? t("notify.flood", { messages: gathered.messages, rooms: gathered.rooms })
      : t("notify.new_messages", { count: gathered.messages });
  void show(gathered.account, gathered.latest.room_id, { title: t("app.name"), body }, gathered.highlight);
}

async function alert(account: string, notice: Notice): Promise<void> {
  const settings = preferences.current;
  if (!settings.notifications) return;
  if (reading.isReading(account, notice.room_id)) return;
  if (!gate.admit(account, notice, Date.now())) {
    flushTimer ??= setTimeout(showGathered, WINDOW_MS);
    return;
  }
  await show(account, notice.room_id, describeNotice(notice, settings.notification_content), notice.highlight);
}

/** Watches the alerts of every signed-in account while the page lives; returns the stop. */
export function startAlerts(): () => void {
  const watched = new Map<string, Live | null>();
  let stopped = false;

  void backend.watchNotificationClicks((target) => {
    reading.requested = { account: target.account_id, room: target.room_id };
    if (session.currentId !== target.account_id) session.select(target.account_id);
  });
  const stopWatchingUse = reading.watchUse();

  // Follows the accounts as they are signed in and out.
  const stopFollowing = $effect.root(() => {
    $effect(() => {
      const ids = new Set(session.accounts.map((account) => account.id));
      for (const id of ids) {
        if (watched.has(id)) continue;
        watched.set(id, null);
        void backend.watchNotices(id, (notice) => void alert(id, notice)).then(
          (live) => {
            if (stopped || !watched.has(id)) live.close();
            else watched.set(id, live);
          },
          (failure) => console.warn("alerts not watched", failure),
        );
      }
      for (const [id, live] of watched) {
        if (ids.has(id)) continue;
        live?.close();
        watched.delete(id);
      }
    });
  });

  return () => {
    stopped = true;
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    stopFollowing();
    stopWatchingUse();
    for (const live of watched.values()) live?.close();
    watched.clear();
  };
}
