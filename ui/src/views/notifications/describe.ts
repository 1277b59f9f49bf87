// The words of a desktop notification: who, where, what. Written here rather than by the
// shell because the page knows the language and the privacy setting.

import type { Notice, NoticeMessage } from "../../lib/bindings";
import { t } from "../../lib/i18n";

export interface NotificationText {
  title: string;
  body: string;
}

/** One message in a line: "bob sent a picture", or its text. */
function describeMessage(message: NoticeMessage, withSender: boolean): string {
  const sender = message.sender_name;
  const content = message.content;
  switch (content.kind) {
    case "text":
      return withSender ? t("notify.sender_says", { sender, text: content.text }) : content.text;
    case "emote":
      return t("notify.emote", { sender, text: content.text });
    case "image":
      return t("notify.image", { sender });
    case "video":
      return t("notify.video", { sender });
    case "audio":
      return t("notify.audio", { sender });
    case "voice_message":
      return t("notify.voice", { sender });
    case "file":
      return t("notify.file", { sender, name: content.name });
    case "sticker":
      return t("notify.sticker", { sender });
    case "location":
      return t("notify.location", { sender });
    case "poll":
      return t("notify.poll", { sender, question: content.question });
    case "invite":
      return t("notify.invite", { sender });
    case "call":
      return t("notify.call", { sender });
    case "undecryptable":
      return t("notify.undecryptable", { sender });
  }
}

/**
 * What the notification of `notice` says. With `showContent` off (screens others can see), it
 * names neither the sender nor the room, and says only how many messages arrived.
 */
export function describeNotice(notice: Notice, showContent: boolean): NotificationText {
  const count = Math.max(notice.count, notice.messages.length, 1);
  if (!showContent) {
    return {
      title: t("app.name"),
      body: count === 1 ? t("notify.new_message") : t("notify.new_messages", { count }),
    };
  }
  const senders = new Set(notice.messages.map((message) => message.sender_id));
  const first = notice.messages[0];
  let title: string;
  if (notice.is_direct || !first) title = notice.room_name;
  else if (senders.size === 1) title = t("notify.in_room", { sender: first.sender_name, room: notice.room_name });
  else title = notice.room_name;
  // A sentence that names its sender ("bob sent a picture") says who; a text alone needs the
  // name only where the title does not give it.
  const senderInTitle = notice.is_direct || senders.size === 1;
  const lines = notice.messages.map((message) => describeMessage(message, !senderInTitle));
  const hidden = count - notice.messages.length;
  if (hidden > 0) lines.push(t("notify.and_more", { count: hidden }));
  return { title, body: lines.join("\n") };
}
