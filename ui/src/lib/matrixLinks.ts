// Links to Matrix things, which open inside the app rather than in a browser: matrix.to links
// (`https://matrix.to/#/<id>[/<event>]`) and `matrix:` URIs (MSC2312: `matrix:u/alice:example.org`,
// `matrix:r/room:example.org`, `matrix:roomid/abc:example.org/e/event`).

export type MatrixTarget =
  | { kind: "user"; userId: string }
  | { kind: "room"; room: string; eventId: string | null };

/** A user ID, room ID or alias as the spec writes them: a sigil, a localpart, a server. */
const IDENTIFIER = /^[@!#][^\s:/]+:[A-Za-z0-9.\-[\]]+(?::\d{1,5})?$/;
const EVENT_ID = /^\$[^\s/?#]+$/;

function decoded(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

function target(identifier: string | null, eventId: string | null): MatrixTarget | null {
  if (!identifier || !IDENTIFIER.test(identifier)) return null;
  if (eventId !== null && !EVENT_ID.test(eventId)) return null;
  if (identifier.startsWith("@")) return eventId === null ? { kind: "user", userId: identifier } : null;
  return { kind: "room", room: identifier, eventId };
}

export function matrixTarget(href: string): MatrixTarget | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (url.protocol === "https:" && url.hostname === "matrix.to") {
    // `#/<id>/<event>?via=…`: the fragment holds it all.
    const path = url.hash.replace(/^#\//, "").split("?")[0] ?? "";
    const [first, second, ...rest] = path.split("/");
    if (rest.length > 0 || !first) return null;
    return target(decoded(first), second ? decoded(second) : null);
  }
  if (url.protocol === "matrix:") {
    const parts = url.pathname.split("/").map(decoded);
    if (parts.some((part) => part === null)) return null;
    const [kind, id, e, event] = parts as string[];
    const sigil = kind === "u" ? "@" : kind === "r" ? "#" : kind === "roomid" ? "!" : null;
    if (!sigil || !id || (e !== undefined && (e !== "e" || !event)) || parts.length > 4) return null;
    return target(`${sigil}${id}`, event ? `$${event}` : null);
  }
  return null;
}
