// Text from other people (names, topics, file names) shown inside our own sentences. A name
// may hold right-to-left text or explicit direction controls (U+202E turns what follows
// around): isolated, it cannot reorder the words around it. File names lose their controls
// altogether, as "facture\u202Efdp.exe" would read "factureexe.pdf" even when isolated.

const FIRST_STRONG_ISOLATE = "\u2068";
const POP_DIRECTIONAL_ISOLATE = "\u2069";

/** Embeddings, overrides, isolates and marks: U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, U+061C. */
const DIRECTION_CONTROLS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]/g;

/** `text` as an isolated run within a sentence: it takes its own direction and leaks none. */
export function isolate(text: string): string {
  return FIRST_STRONG_ISOLATE + text + POP_DIRECTIONAL_ISOLATE;
}

/** A file name as its characters are, in their order: no control can disguise its type. */
export function fileNameShown(name: string): string {
  return name.replace(DIRECTION_CONTROLS, "");
}
