// A call's row in the conversation, in words: which kind of call, and what became of it.

import type { CallRecord } from "../../lib/bindings";
import { t } from "../../lib/i18n";

export interface CallLine {
  title: string;
  /** What became of it; empty while unknown (its answer and end not loaded). */
  detail: string;
  /** Missed by this user: shown as such, with "Call back". */
  missed: boolean;
}

/** A duration as people say it: "45 s", "3 min 5 s", "1 h 2 min". */
export function spoken(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return t("call.history.hours", { hours, minutes });
  if (minutes > 0) return t("call.history.minutes", { minutes, seconds: rest });
  return t("call.history.seconds", { seconds: rest });
}

/** `video` comes from the invite itself; `record` once the room's calls are known. */
export function callLine(record: CallRecord | undefined, video: boolean | null): CallLine {
  const hasVideo = record?.video ?? video;
  if (!record) {
    const title =
      hasVideo === null ? t("call.started") : hasVideo ? t("call.started_video") : t("call.started_voice");
    return { title, detail: "", missed: false };
  }
  const kind = hasVideo ? t("call.video") : t("call.voice");
  const outcome = record.outcome;
  switch (outcome.outcome) {
    case "ringing":
      return { title: kind, detail: t("call.history.ringing"), missed: false };
    case "ongoing":
      return { title: kind, detail: t("call.history.ongoing"), missed: false };
    case "ended":
      return { title: kind, detail: t("call.history.ended", { time: spoken(outcome.duration_ms) }), missed: false };
    case "declined":
      return {
        title: kind,
        detail: record.outgoing ? t("call.history.declined") : t("call.history.declined_here"),
        missed: false,
      };
    case "busy":
      return { title: kind, detail: t("call.history.busy"), missed: false };
    case "unanswered":
      return record.outgoing
        ? { title: kind, detail: t("call.history.no_answer"), missed: false }
        : { title: hasVideo ? t("call.history.missed_video") : t("call.history.missed_voice"), detail: "", missed: true };
  }
}
