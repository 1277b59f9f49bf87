import { describe, expect, it } from "vitest";
import type { Notice, NoticeMessage } from "../../lib/bindings";
import { describeNotice } from "./describe";

const plain = (text: string) => text.replace(/[\u2068\u2069]/g, "");

function message(sender: string, content: NoticeMessage["content"]): NoticeMessage {
  return { event_id: `$${Math.random()}`, sender_id: `@${sender}:example.org`, sender_name: sender, content, highlight: false };
}

function notice(partial: Partial<Notice>): Notice {
  return { room_id: "!r:example.org", room_name: "Équipe", is_direct: false, messages: [], count: 1, highlight: false, ...partial };
}

describe("describeNotice", () => {
  it("names the sender as the title of a direct conversation and gives the text", () => {
    const text = describeNotice(
      notice({ is_direct: true, room_name: "bob", messages: [message("bob", { kind: "text", text: "Bonjour alice" })] }),
      true,
    );
    expect(plain(text.title)).toBe("bob");
    expect(plain(text.body)).toBe("Bonjour alice");
  });

  it("names the sender and the room in a group room, and each sender when several write", () => {
    const one = describeNotice(notice({ messages: [message("bob", { kind: "text", text: "Réunion ?" })] }), true);
    expect(plain(one.title)).toBe("bob in Équipe");
    expect(plain(one.body)).toBe("Réunion ?");
    const several = describeNotice(
      notice({
        count: 7,
        messages: [message("bob", { kind: "text", text: "Oui" }), message("carol", { kind: "image" })],
      }),
      true,
    );
    expect(plain(several.title)).toBe("Équipe");
    expect(plain(several.body)).toBe("bob: Oui\ncarol sent a picture\nand 5 more");
  });

  it("says nothing of the sender, the room or the text when content is hidden", () => {
    const hidden = describeNotice(
      notice({ count: 3, messages: [message("bob", { kind: "text", text: "secret" })] }),
      false,
    );
    expect(hidden).toEqual({ title: "Estafette", body: "3 new messages" });
    const single = describeNotice(notice({ messages: [message("bob", { kind: "file", name: "a.pdf" })] }), false);
    expect(single.body).toBe("New message");
    expect(JSON.stringify(single)).not.toContain("bob");
  });

  it("describes files, invitations and undecryptable messages in words", () => {
    const file = describeNotice(notice({ is_direct: true, messages: [message("bob", { kind: "file", name: "budget.ods" })] }), true);
    expect(plain(file.body)).toBe("bob sent a file: budget.ods");
    const invite = describeNotice(notice({ messages: [message("bob", { kind: "invite" })] }), true);
    expect(plain(invite.body)).toBe("bob invited you");
    const utd = describeNotice(notice({ is_direct: true, messages: [message("bob", { kind: "undecryptable" })] }), true);
    expect(plain(utd.body)).toBe("bob sent an encrypted message");
  });
});
