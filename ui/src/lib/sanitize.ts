// Formatted message bodies (m.room.message, org.matrix.custom.html) reduced to the HTML the
// Matrix spec allows. Built as an allow-list: anything not named here is dropped.

export interface SanitizeOptions {
  /** Maps an mxc:// URI of an inline <img> to a URL we serve ourselves, or null to drop the image. */
  mediaUrl?: (mxc: string) => string | null;
}

const HTML_NAMESPACE = "http://www.w3.org/1999/xhtml";

const ALLOWED_TAGS = new Set([
  "font", "del", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p", "a", "ul", "ol",
  "sup", "sub", "li", "b", "i", "u", "strong", "em", "s", "strike", "code", "hr", "br", "div",
  "table", "thead", "tbody", "tr", "th", "td", "caption", "pre", "span", "img", "details", "summary",
]);

// Unwrapping these would leak script source, CSS or form labels as text; `mx-reply` is the
// reply fallback the spec says clients strip.
const DROPPED_WITH_CONTENT = new Set([
  "script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript", "title",
  "head", "link", "meta", "form", "input", "textarea", "select", "button", "mx-reply",
]);

const ALLOWED_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  font: ["data-mx-bg-color", "data-mx-color", "color"],
  span: ["data-mx-bg-color", "data-mx-color", "data-mx-spoiler", "data-mx-maths"],
  div: ["data-mx-maths"],
  // `target` is listed by the spec, but we always set our own value on kept links.
  a: ["name", "href"],
  img: ["width", "height", "alt", "title", "src"],
  ol: ["start"],
  code: ["class"],
};

const COLOR_ATTRIBUTES = new Set(["data-mx-bg-color", "data-mx-color", "color"]);
const COLOR = /^#[0-9a-fA-F]{6}$/;
const LANGUAGE_CLASS = /^language-[A-Za-z0-9_+-]+$/;
const INTEGER = /^-?\d{1,9}$/;
const DIMENSION = /^\d{1,5}$/;
const LINK_SCHEMES = new Set(["https", "http", "mailto", "ftp", "magnet"]);
const MAX_DEPTH = 100;

// Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:"),
// so the scheme is judged with them removed. Unicode spaces go too, to be safe.
const INVISIBLE = /[\u0000-\u0020\u007f-\u009f\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u2060\u3000\ufeff]/g;
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

/** The link target to keep, normalised, or null when it is not an absolute link we allow. */
function safeHref(raw: string): string | null {
  const probe = raw.replace(INVISIBLE, "");
  const scheme = SCHEME.exec(probe)?.[1]?.toLowerCase();
  if (scheme === undefined || !LINK_SCHEMES.has(scheme)) return null;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  // Both readings must agree, so no parser quirk can turn an allowed scheme into another one.
  const parsedScheme = url.protocol.slice(0, -1).toLowerCase();
  if (parsedScheme !== scheme) return null;
  if ((scheme === "http" || scheme === "https" || scheme === "ftp") && url.hostname === "") return null;
  return url.href;
}

/** The URL to load an inline image from, or null when the image must not be shown. */
function imageSource(raw: string | null, options: SanitizeOptions): string | null {
  if (raw === null || options.mediaUrl === undefined) return null;
  const mxc = raw.trim();
  // Anything but mxc:// would load from a third party and leak that the message was read;
  // and only a well-formed one, as the spec writes it, reaches the media scheme.
  if (!MXC_URI.test(mxc)) return null;
  return options.mediaUrl(mxc);
}

/**
 * `mxc://<server name>/<media ID>`: a server name is a DNS name, an IPv4 address or an IPv6
 * literal in brackets, with an optional port; a media ID is `[A-Za-z0-9_-]`. The fuzzer found
 * that a looser pattern let `mxc://<script>…</script>` through (harmless, but not an mxc URI).
 */
const MXC_URI = /^mxc:\/\/(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?\/[A-Za-z0-9_-]+$/;

function attributeAllowed(name: string, value: string): boolean {
  if (COLOR_ATTRIBUTES.has(name)) return COLOR.test(value);
  switch (name) {
    case "class":
      return LANGUAGE_CLASS.test(value);
    case "start":
      return INTEGER.test(value);
    case "width":
    case "height":
      return DIMENSION.test(value);
    default:
      return true;
  }
}

function copyAttributes(source: Element, target: Element, tag: string): void {
  for (const name of ALLOWED_ATTRIBUTES[tag] ?? []) {
    if (name === "href" || name === "src") continue; // handled by the callers
    const value = source.getAttribute(name);
    if (value !== null && attributeAllowed(name, value)) target.setAttribute(name, value);
  }
}

/** A sanitised copy of `element`, or null when nothing of it (not even children) is kept. */
function copyElement(element: Element, tag: string, options: SanitizeOptions): Node | null {
  if (tag === "img") {
    const src = imageSource(element.getAttribute("src"), options);
    if (src === null) {
      // The image cannot be shown: its description stands in for it.
      const alt = element.getAttribute("alt");
      return alt ? document.createTextNode(alt) : null;
    }
    const img = document.createElement("img");
    copyAttributes(element, img, tag);
    img.setAttribute("src", src);
    return img;
  }
  const copy = document.createElement(tag);
  copyAttributes(element, copy, tag);
  if (tag === "a") {
    const raw = element.getAttribute("href");
    const href = raw === null ? null : safeHref(raw);
    if (href !== null) {
      copy.setAttribute("href", href);
      // The app opens links in the system browser; these keep a stray click from reaching back.
      copy.setAttribute("rel", "noopener noreferrer");
      copy.setAttribute("target", "_blank");
    }
  }
  return copy;
}

function copyChildren(source: Node, target: Node, options: SanitizeOptions, depth: number): void {
  // Past the limit content is dropped rather than flattened, to keep recursion bounded.
  if (depth > MAX_DEPTH) return;
  for (let child = source.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === Node.TEXT_NODE) {
      target.appendChild(document.createTextNode(child.nodeValue ?? ""));
      continue;
    }
    // Comments, processing instructions, doctypes and the like.
    if (child.nodeType !== Node.ELEMENT_NODE) continue;
    const element = child as Element;
    const tag = element.localName.toLowerCase();
    if (DROPPED_WITH_CONTENT.has(tag)) continue;
    // Foreign (SVG/MathML) elements only appear under svg/math, dropped above; be strict anyway.
    if (!ALLOWED_TAGS.has(tag) || element.namespaceURI !== HTML_NAMESPACE) {
      copyChildren(element, target, options, depth + 1);
      continue;
    }
    const copy = copyElement(element, tag, options);
    if (copy === null) continue;
    if (copy.nodeType === Node.ELEMENT_NODE && tag !== "img") copyChildren(element, copy, options, depth + 1);
    target.appendChild(copy);
  }
}

/** Returns a DocumentFragment containing only what the Matrix spec allows in `formatted_body`. */
export function sanitizeMatrixHtml(html: string, options: SanitizeOptions = {}): DocumentFragment {
  const fragment = document.createDocumentFragment();
  let parsed: Document;
  try {
    // A detached document: nothing in it runs or loads, unlike innerHTML on a live element.
    parsed = new DOMParser().parseFromString(html, "text/html");
  } catch {
    // Browsers never refuse HTML, but a parser that gives up (happy-dom does, on some tables)
    // must not lose the message: it is shown as the text it is.
    fragment.appendChild(document.createTextNode(html));
    return fragment;
  }
  copyChildren(parsed.body, fragment, options, 0);
  return fragment;
}

/** Same, serialised to an HTML string (for tests and previews). */
export function sanitizeMatrixHtmlToString(html: string, options: SanitizeOptions = {}): string {
  const container = document.createElement("div");
  container.appendChild(sanitizeMatrixHtml(html, options));
  return container.innerHTML;
}
