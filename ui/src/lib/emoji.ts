// The emoji a reaction can be chosen from (emojibase-data, the Unicode CLDR names), shown with
// their name in the user's language and found by their French or English name or keywords:
// a civil servant who reads the app in French may still type "thumbs". Both languages' data
// load only when the picker first opens.

import type { Language } from "./i18n";

export interface Emoji {
  unicode: string;
  /** The name in the interface's language, shown and read out. */
  label: string;
  /** The name in the other language, searched but not shown. */
  otherLabel: string;
  /** Keywords in both languages. */
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

function reactionsOnly(all: CompactEmoji[]): CompactEmoji[] {
  return all.filter((entry) => entry.group !== undefined && entry.group !== COMPONENT_GROUP);
}

export function loadEmoji(language: Language): Promise<Emoji[]> {
  let emoji = loaded.get(language);
  if (!emoji) {
    const french: Promise<{ default: CompactEmoji[] }> = import("emojibase-data/fr/compact.json");
    const english: Promise<{ default: CompactEmoji[] }> = import("emojibase-data/en/compact.json");
    emoji = Promise.all([french, english]).then(([{ default: fr }, { default: en }]) => {
      const [shown, other] = language === "fr" ? [fr, en] : [en, fr];
      const otherByUnicode = new Map(reactionsOnly(other).map((entry) => [entry.unicode, entry]));
      return reactionsOnly(shown)
        .map((entry) => {
          const translation = otherByUnicode.get(entry.unicode);
          return {
            unicode: entry.unicode,
            label: entry.label,
            otherLabel: translation?.label ?? "",
            tags: [...(entry.tags ?? []), ...(translation?.tags ?? [])],
            order: entry.order ?? 0,
          };
        })
        .sort((a, b) => a.order - b.order);
    });
    loaded.set(language, emoji);
  }
  return emoji;
}

/** Lower case without accents, and French ligatures as typed on a keyboard ("cœur" is "coeur"). */
function folded(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase()
    .replace(/œ/g, "oe")
    .replace(/æ/g, "ae");
}

/** Emoji whose name (in either language) or keywords contain every word of the query, names first. */
export function searchEmoji(all: readonly Emoji[], query: string, limit: number): Emoji[] {
  const words = folded(query).split(/\s+/).filter((word) => word !== "");
  if (words.length === 0) return all.slice(0, limit);
  const byName: Emoji[] = [];
  const byTag: Emoji[] = [];
  for (const emoji of all) {
    const label = folded(emoji.label);
    const otherLabel = folded(emoji.otherLabel);
    if (words.every((word) => label.includes(word)) || words.every((word) => otherLabel.includes(word))) {
      byName.push(emoji);
    } else if (
      words.every(
        (word) => label.includes(word) || otherLabel.includes(word) || emoji.tags.some((tag) => folded(tag).includes(word)),
      )
    ) {
      byTag.push(emoji);
    }
    if (byName.length >= limit) break;
  }
  return [...byName, ...byTag].slice(0, limit);
}
