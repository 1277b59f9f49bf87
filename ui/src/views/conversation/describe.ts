// Puts structured events into words, in the user's language.

import type { EventContent, MediaSummary, MembershipKind, Person, RoomSetting, StateChange, TimelineEvent, TimelineItem } from "../../lib/bindings";
import { t, type MessageKey } from "../../lib/i18n";

function personName(person: Person): string {
  return person.display_name ?? person.user_id;
}

const MEMBERSHIP_KEYS: Record<MembershipKind, MessageKey> = {
  joined: "state.joined",
  left: "state.left",
  invited: "state.invited",
  invitation_accepted: "state.invitation_accepted",
  invitation_rejected: "state.invitation_rejected",
  invitation_revoked: "state.invitation_revoked",
  kicked: "state.kicked",
  banned: "state.banned",
  kicked_and_banned: "state.kicked_and_banned",
  unbanned: "state.unbanned",
  knocked: "state.knocked",
  knock_accepted: "state.knock_accepted",
  knock_retracted: "state.knock_retracted",
  knock_denied: "state.knock_denied",
  other: "state.other_membership",
};

export function describeStateChange(change: StateChange, sender: Person): string {
  switch (change.change) {
    case "membership":
      return t(MEMBERSHIP_KEYS[change.membership], { user: personName(change.user) });
    case "display_name_changed":
      if (change.old && change.new) return t("state.display_name_changed", { old: change.old, new: change.new });
      if (change.new) return t("state.display_name_set", { user: change.user_id, new: change.new });
      return t("state.display_name_removed", { user: change.old ?? change.user_id });
    case "avatar_changed":
      return t("state.avatar_changed", { user: sender.user_id === change.user_id ? personName(sender) : change.user_id });
    case "room_created":
      return t("state.room_created");
    case "room_name_changed":
      return change.name ? t("state.room_name_changed", { name: change.name }) : t("state.room_name_removed");
    case "room_topic_changed":
      return change.topic ? t("state.room_topic_changed", { topic: change.topic }) : t("state.room_topic_removed");
    case "room_avatar_changed":
      return t("state.room_avatar_changed");
    case "encryption_enabled":
      return t("state.encryption_enabled");
    case "setting_changed":
      return t(SETTING_KEYS[change.setting], { user: personName(sender) });
  }
}

const SETTING_KEYS: Record<RoomSetting, MessageKey> = {
  permissions: "state.setting.permissions",
  join_rules: "state.setting.join_rules",
  history_visibility: "state.setting.history_visibility",
  guest_access: "state.setting.guest_access",
  addresses: "state.setting.addresses",
  pinned_messages: "state.setting.pinned_messages",
  server_access: "state.setting.server_access",
  upgraded: "state.setting.upgraded",
  spaces: "state.setting.spaces",
  other: "state.setting.other",
};

export { personName };

const MEDIA_KEYS: Record<MediaSummary["media_kind"], MessageKey> = {
  image: "message.image",
  video: "message.video",
  audio: "message.audio",
  file: "message.file",
};

/** A file, picture, video or recording in words: "File: report.pdf". */
export function describeMedia(media: MediaSummary): string {
  return t(MEDIA_KEYS[media.media_kind], { name: media.name });
}

/** The text of a written message (text, notice, emote); `null` for anything else. */
export function textBody(content: EventContent): string | null {
  return content.kind === "text" || content.kind === "notice" || content.kind === "emote" ? content.body : null;
}

/** A message in one line, to recognise it by: in the room list, a quote, a thread's latest
 * reply. Translated here from its structure. */
export function previewText(content: EventContent, sender: Person): string {
  switch (content.kind) {
    case "text":
    case "notice":
      return firstNonEmptyLine(content.body);
    case "emote":
      return `* ${personName(sender)} ${firstNonEmptyLine(content.body)}`;
    case "media":
      return describeMedia(content);
    case "redacted":
      return t("message.redacted");
    case "unable_to_decrypt":
      return t("utd.title");
    case "state_change":
      return describeStateChange(content, sender);
    case "call_started":
      return content.video === null ? t("call.started") : content.video ? t("call.started_video") : t("call.started_voice");
    case "unsupported":
      return t("message.unsupported_preview");
  }
}

function firstNonEmptyLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "") ?? "";
}

/** What kind of thing an event Estafette does not show is, in words, never its type. */
export function describeUnsupported(eventType: string): string {
  if (eventType.includes("poll")) return t("unsupported.poll");
  if (eventType === "m.sticker") return t("unsupported.sticker");
  if (eventType.startsWith("m.call") || eventType.includes("rtc")) return t("unsupported.call");
  if (eventType.includes("beacon") || eventType.includes("location")) return t("unsupported.location");
  return t("unsupported.other");
}

/** The user's latest message that can be edited, for Up in an empty composer. */
export function lastEditable(items: readonly TimelineItem[]): { event: TimelineEvent; body: string } | null {
  for (let index = items.length - 1; index >= 0; index--) {
    const item = items[index];
    if (item?.type !== "event" || !item.is_own || !item.can_edit) continue;
    const body = textBody(item.content);
    if (body !== null) return { event: item, body };
  }
  return null;
}
