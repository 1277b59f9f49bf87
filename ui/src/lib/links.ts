// A link in a message opens in the system browser. When its visible text names another place
// than the one it opens ("www.impots.gouv.fr" leading elsewhere, "click here", a look-alike
// letter from another alphabet), the user sees the real target first and chooses.

/** Zero-width characters and direction controls, which can hide in a link's text. */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\u061c\ufeff\u00ad]/g;

/** The target as the user should read it: parsed, host in ASCII (punycode), nothing invisible. */
export function shownTarget(href: string): string {
  try {
    return new URL(href.trim()).href;
  } catch {
    return href.replace(INVISIBLE, "");
  }
}

/** The place a link's text appears to name, as a URL, or null when the text is not an address. */
function textAsUrl(text: string, target: URL): URL | null {
  const trimmed = text.trim();
  // A non-ASCII letter in the text could be a look-alike: URL parsing would hide it by turning
  // it into the same punycode as the target, so such a text never vouches for its link. This
  // also covers every invisible character.
  if (trimmed === "" || /[^\x20-\x7e]/.test(trimmed)) return null;
  const candidates =
    target.protocol === "mailto:" ? [`mailto:${trimmed}`, trimmed] : [trimmed, `${target.protocol}//${trimmed}`];
  for (const candidate of candidates) {
    try {
      return new URL(candidate);
    } catch {
      // Not an address written this way; try the next.
    }
  }
  return null;
}

/** Whether the text of a link, read by the user, fails to say exactly where it opens. */
export function linkNeedsConfirmation(text: string, href: string): boolean {
  let target: URL;
  try {
    target = new URL(href.trim());
  } catch {
    return true;
  }
  const named = textAsUrl(text, target);
  if (!named) return true;
  return comparable(named) !== comparable(target);
}

/** Equal for the user: "example.org" and "https://example.org/" are the same place. */
function comparable(url: URL): string {
  const href = url.href;
  return href.endsWith("/") && url.pathname === "/" && url.search === "" && url.hash === ""
    ? href.slice(0, -1)
    : href;
}
