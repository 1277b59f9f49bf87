// The emoji a reaction can be chosen from, named in the user's language (emojibase-data, the
// Unicode CLDR names). The data is loaded only when the picker first opens, one language's.

import type { Language } from "./i18n";

export interface Emoji {
  unicode: string;
  label: string;
  tags: readonly string[];
  order: number;
}

interface CompactEmoji {
  unicode: string;
  label: string;
  tags?: string[];
  order?: number;
  group?: number;
}

/** Skin-tone and hair components (group 2) are not reactions of their own. */
const COMPONENT_GROUP = 2;

const loaded = new Map<Language, Promise<Emoji[]>>();

export function loadEmoji(language: Language): Promise<Emoji[]> {
  let emoji = loaded.get(language);
  if (!emoji) {
    const data: Promise<{ default: CompactEmoji[] }> =
      language === "fr" ? import("emojibase-data/fr/compact.json") : import("emojibase-data/en/compact.json");
    emoji = data.then(({ default: all }) =>
      all
        .filter((entry) => entry.group !== undefined && entry.group !== COMPONENT_GROUP)
        .map((entry) => ({ unicode: entry.unicode, label: entry.label, tags: entry.tags ?? [], order: entry.order ?? 0 }))
        .sort((a, b) => a.order - b.order),
    );
    loaded.set(language, emoji);
  }
  return emoji;
}

function folded(text: string): string {
  return text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
}

/** Emoji whose name or keywords contain every word of the query, names first. */
export function searchEmoji(all: readonly Emoji[], query: string, limit: number): Emoji[] {
  const words = folded(query).split(/\s+/).filter((word) => word !== "");
  if (words.length === 0) return all.slice(0, limit);
  const byName: Emoji[] = [];
  const byTag: Emoji[] = [];
  for (const emoji of all) {
    const label = folded(emoji.label);
    if (words.every((word) => label.includes(word))) byName.push(emoji);
    else if (words.every((word) => label.includes(word) || emoji.tags.some((tag) => folded(tag).includes(word)))) {
      byTag.push(emoji);
    }
    if (byName.length >= limit) break;
  }
  return [...byName, ...byTag].slice(0, limit);
}
