// `@` mentions in the composer: the query being typed, the members it matches, and the label
// a chosen person is written as. The core turns the labels into links and `m.mentions`.

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
