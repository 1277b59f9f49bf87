// The room info panel's words: counts with their plural, who may join, where a person stands.

import type { HistoryReaders, Role, RoomAccess, Standing, Trust } from "../../../lib/bindings";
import { currentLanguage, t, type MessageKey } from "../../../lib/i18n";

/** `count` with the form of the current language (French says "0 membre", English "0 members"). */
export function counted(count: number, one: MessageKey, many: MessageKey): string {
  const form = new Intl.PluralRules(currentLanguage()).select(count);
  return t(form === "one" ? one : many, { count });
}

/** "12 members, 2 invited", or "12 members" when no one is invited. */
export function memberCounts(joined: number, invited: number): string {
  const members = counted(joined, "roomInfo.members_one", "roomInfo.members");
  if (invited <= 0) return members;
  return t("roomInfo.counts", { members, invited: counted(invited, "roomInfo.invited_one", "roomInfo.invited") });
}

export const ACCESS_TEXT: Record<RoomAccess, MessageKey> = {
  invite_only: "roomInfo.access.invite_only",
  ask_to_join: "roomInfo.access.ask_to_join",
  anyone_with_link: "roomInfo.access.anyone_with_link",
  other: "roomInfo.access.other",
};

export const STANDING_TEXT: Record<Standing, MessageKey> = {
  asking_to_join: "roomInfo.standing.asking_to_join",
  joined: "roomInfo.standing.joined",
  invited: "roomInfo.standing.invited",
  banned: "roomInfo.standing.banned",
};

/** The badge beside a name; members have none. */
export const ROLE_TEXT: Record<Role, MessageKey | null> = {
  admin: "roomInfo.role.admin",
  moderator: "roomInfo.role.moderator",
  member: null,
};

/** The shield beside a name in an encrypted room; nothing when not known. */
export const TRUST_SHOWN: Record<Trust, { icon: "shield-check" | "shield" | "shield-alert"; text: MessageKey } | null> = {
  verified: { icon: "shield-check", text: "roomInfo.trust.verified" },
  not_verified: { icon: "shield", text: "roomInfo.trust.not_verified" },
  changed: { icon: "shield-alert", text: "roomInfo.trust.changed" },
  unknown: null,
};

/** Who can join, as the settings offer it (the fourth, another app's rule, only shown). */
export const ACCESS_CHOICES: { value: RoomAccess; text: MessageKey }[] = [
  { value: "invite_only", text: "roomInfo.settings.join.invite_only" },
  { value: "ask_to_join", text: "roomInfo.settings.join.ask_to_join" },
  { value: "anyone_with_link", text: "roomInfo.settings.join.anyone_with_link" },
];

export const HISTORY_CHOICES: { value: HistoryReaders; text: MessageKey }[] = [
  { value: "members", text: "roomInfo.settings.history.members" },
  { value: "since_invited", text: "roomInfo.settings.history.since_invited" },
  { value: "since_joined", text: "roomInfo.settings.history.since_joined" },
  { value: "anyone", text: "roomInfo.settings.history.anyone" },
];

/** "Anyone" may read the history only of a room anyone with the link can join; kept in the
 * list while it is the room's setting, so that what is set always shows. */
export function historyChoices(access: RoomAccess, current: HistoryReaders): typeof HISTORY_CHOICES {
  return HISTORY_CHOICES.filter(
    (choice) => choice.value !== "anyone" || access === "anyone_with_link" || current === "anyone",
  );
}
