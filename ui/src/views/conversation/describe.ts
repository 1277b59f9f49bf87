// Puts structured events into words, in the user's language.

import type { MediaSummary, MembershipKind, Person, StateChange } from "../../lib/bindings";
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
    case "other":
      return t("state.other", { type: change.event_type });
  }
}

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
