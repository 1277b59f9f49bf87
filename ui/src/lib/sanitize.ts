// Formatted message bodies reduced to the HTML the Matrix spec allows (m.room.message,
// org.matrix.custom.html). An allow-list: anything not named here is dropped.

export interface SanitizeOptions {
  /** Maps an mxc:// URI of an inline <img> to a URL we serve ourselves, or null to drop the image. */
  mediaUrl?: (mxc: string) => string | null;
}

const ALLOWED_TAGS = new Set([
  "font", "del", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p", "a", "ul", "ol",
  "sup", "sub", "li", "b", "i", "u", "strong", "em", "s", "strike", "code", "hr", "br", "div",
  "table", "thead", "tbody", "tr", "th", "td", "caption", "pre", "span", "img", "details", "summary",
]);

/** Dropped with everything inside them; `mx-reply` is the reply fallback the spec says to strip. */
const DROPPED_WITH_CONTENT = new Set([
  "script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript", "title",
  "head", "link", "meta", "form", "input", "textarea", "select", "button", "mx-reply",
]);

const ALLOWED_ATTRIBUTES: Record<string, readonly string[]> = {
  font: ["data-mx-bg-color", "data-mx-color", "color"],
  span: ["data-mx-bg-color", "data-mx-color", "data-mx-spoiler", "data-mx-maths"],
  div: ["data-mx-maths"],
  a: ["name", "href"],
  img: ["width", "height", "alt", "title", "src"],
  ol: ["start"],
  code: ["class"],
};

const COLOR_ATTRIBUTES = new Set(["data-mx-bg-color", "data-mx-color", "color"]);
const COLOR = /^#[0-9a-fA-F]{6}$/;
const LANGUAGE_CLASS = /^language-[A-Za-z0-9_+-]+$/;
const LINK_SCHEMES = new Set(["https:", "http:", "mailto:", "ftp:", "magnet:"]);
const MAX_DEPTH = 100;

/** A link target we let through, or null. Control characters and spaces hide schemes. */
function safeHref(raw: string): string | null {
  // eslint-disable-next-line no-control-regex
  const cleaned = raw.replace(/[\u0000-\u0020\u007f-\u009f]/g, "");
  let url: URL;
  try {
    url = new URL(cleaned);
  } catch {
    return null;
  }
  return LINK_SCHEMES.has(url.protocol.toLowerCase()) ? url.href : null;
}

function copyAttributes(source: Element, target: Element, tag: string, options: SanitizeOptions): boolean {
  const allowed = ALLOWED_ATTRIBUTES[tag] ?? [];
  for (const name of allowed) {
    const value = source.getAttribute(name);
    if (value === null) continue;
    if (COLOR_ATTRIBUTES.has(name) && !COLOR.test(value)) continue;
    if (name === "class" && !LANGUAGE_CLASS.test(value)) continue;
    if (name === "start" && !/^\d{1,9}$/.test(value)) continue;
    if ((name === "width" || name === "height") && !/^\d{1,5}$/.test(value)) continue;
    if (name === "href") {
      const href = safeHref(value);
      if (href === null) continue;
      target.setAttribute("href", href);
      target.setAttribute("rel", "noopener noreferrer");
      target.setAttribute("target", "_blank");
      continue;
    }
    if (name === "src") {
      const src = value.trim().startsWith("mxc://") ? (options.mediaUrl?.(value.trim()) ?? null) : null;
      if (src === null) return false;
      target.setAttribute("src", src);
      continue;
    }
    target.setAttribute(name, value);
  }
  return true;
}

function copyChildren(source: Node, target: Node, options: SanitizeOptions, depth: number): void {
  if (depth > MAX_DEPTH) return;
  for (const child of Array.from(source.childNodes)) {
    if (child.nodeType === Node.TEXT_NODE) {
      target.appendChild(document.createTextNode(child.textContent ?? ""));
      continue;
    }
    if (child.nodeType !== Node.ELEMENT_NODE) continue; // comments, processing instructions
    const element = child as Element;
    const tag = element.localName.toLowerCase();
    if (DROPPED_WITH_CONTENT.has(tag)) continue;
    if (!ALLOWED_TAGS.has(tag)) {
      copyChildren(element, target, options, depth + 1);
      continue;
    }
    const copy = document.createElement(tag);
    if (!copyAttributes(element, copy, tag, options)) {
      // An image we cannot serve ourselves: its description instead.
      const alt = element.getAttribute("alt");
      if (alt) target.appendChild(document.createTextNode(alt));
      continue;
    }
    copyChildren(element, copy, options, depth + 1);
    target.appendChild(copy);
  }
}

/** Returns a fragment with only what the Matrix spec allows in `formatted_body`. */
export function sanitizeMatrixHtml(html: string, options: SanitizeOptions = {}): DocumentFragment {
  // Parsed in an inert document: nothing runs or loads while parsing.
  const parsed = new DOMParser().parseFromString(html, "text/html");
  const fragment = document.createDocumentFragment();
  copyChildren(parsed.body, fragment, options, 0);
  return fragment;
}

/** Same, serialised (for tests and previews). */
export function sanitizeMatrixHtmlToString(html: string, options: SanitizeOptions = {}): string {
  const container = document.createElement("div");
  container.appendChild(sanitizeMatrixHtml(html, options));
  return container.innerHTML;
}
