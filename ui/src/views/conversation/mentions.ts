// Intentional mentions (`m.mentions`): the people a message links to with a matrix.to address,
// as the composer's mention pills are written. Only they are notified; a name typed as plain
// text notifies nobody.

const MENTION_LINK = /\]\(https:\/\/matrix\.to\/#\/(@[^)\s/?#]+)\)/g;

export function mentionedUserIds(markdown: string): string[] {
  const found = new Set<string>();
  for (const match of markdown.matchAll(MENTION_LINK)) {
    const encoded = match[1];
    if (!encoded) continue;
    try {
      found.add(decodeURIComponent(encoded));
    } catch {
      // A malformed escape is not a user ID: no mention.
    }
  }
  return [...found];
}
