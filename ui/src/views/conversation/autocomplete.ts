// `@` mentions in the composer: the query being typed, the members it matches, and the
// message the chosen mentions become (a matrix.to link per person, which receiving clients
// show as a pill, and the user IDs for `m.mentions`).

import type { Member } from "../../lib/bindings";

/** How many people the list offers at once. */
export const MOST_SUGGESTIONS = 8;

/** An `@word` right before the caret, at the start or after a space: its start and text. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([^\s@]*)$/.exec(before);
  if (!match) return null;
  const query = match[2] ?? "";
  return { start: caret - query.length - 1, query };
}

function folded(text: string): string {
  return text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
}

/** Members whose name or ID starts with the query (any word of the name), names first. */
export function matchMembers(members: readonly Member[], query: string, ownUserId: string): Member[] {
  const wanted = folded(query);
  const scored: { member: Member; score: number }[] = [];
  for (const member of members) {
    if (member.user_id === ownUserId) continue;
    const name = folded(member.display_name ?? "");
    const id = folded(member.user_id.slice(1));
    let score = -1;
    if (name.startsWith(wanted)) score = 0;
    else if (name.split(/\s+/).some((word) => word.startsWith(wanted))) score = 1;
    else if (id.startsWith(wanted)) score = 2;
    else if (wanted !== "" && (name.includes(wanted) || id.includes(wanted))) score = 3;
    if (score >= 0) scored.push({ member, score });
  }
  scored.sort((a, b) => a.score - b.score);
  return scored.slice(0, MOST_SUGGESTIONS).map(({ member }) => member);
}

/** The text a chosen person is written as in the composer. */
export function mentionLabel(member: Member): string {
  return `@${member.display_name ?? member.user_id.slice(1)}`;
}

const escapeMarkdownLabel = (label: string) => label.replace(/[[\]\\]/g, (character) => `\\${character}`);

/**
 * The message to send: each chosen mention still in the text becomes a link to the person,
 * `@room` counts only when it was chosen (and so allowed). A mention the user erased or
 * changed notifies nobody.
 */
export function withMentions(
  text: string,
  chosen: ReadonlyMap<string, string>,
  roomChosen: boolean,
): { markdown: string; userIds: string[]; room: boolean } {
  const userIds = new Set<string>();
  let markdown = text;
  // Longest labels first, so that "@Anne Marie" is not taken for "@Anne".
  const labels = [...chosen.keys()].sort((a, b) => b.length - a.length);
  for (const label of labels) {
    const userId = chosen.get(label);
    if (!userId || !markdown.includes(label)) continue;
    const link = `[${escapeMarkdownLabel(label.slice(1))}](https://matrix.to/#/${encodeURI(userId)})`;
    markdown = markdown.split(label).join(link);
    userIds.add(userId);
  }
  return { markdown, userIds: [...userIds], room: roomChosen && /(^|\s)@room\b/.test(text) };
}
