// What the person picker and the public room search do without the page: search as one types
// (once typing pauses, and only the answer to the latest term counts), and name people.

import type { PersonFound } from "../../lib/bindings";
import { t } from "../../lib/i18n";

/** How long typing must pause before a search goes to the server. */
export const SEARCH_DELAY_MS = 250;

export interface SearchHandlers<T> {
  /** A search is on its way (said at once, while typing goes on). */
  onSearching(term: string): void;
  /** The answer to the latest term; answers to earlier terms never arrive here. */
  onResult(result: T, term: string): void;
  onFailure(failure: unknown, term: string): void;
  /** The field is empty again: nothing to show (unless blank terms are searched too). */
  onCleared(): void;
}

export interface LatestSearch {
  /** The field now holds `term`: searched once typing pauses. */
  input(term: string): void;
  /** Searches `term` at once (a first list, say). */
  now(term: string): void;
  /** Forgets what is waiting or on its way: its answer will be dropped. */
  cancel(): void;
}

/**
 * Runs `search` once typing pauses for `delay` ms and hands on only the answer to the latest
 * term: a search that answers after a newer one started (the server is slow, or the person
 * kept typing) is dropped, so that the list never shows results for an older term.
 * With `searchBlank`, an empty term is searched too (a directory's first entries).
 */
export function latestSearch<T>(
  search: (term: string) => Promise<T>,
  handlers: SearchHandlers<T>,
  { delay = SEARCH_DELAY_MS, searchBlank = false }: { delay?: number; searchBlank?: boolean } = {},
): LatestSearch {
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function stopTimer() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  function run(term: string, ticket: number) {
    search(term).then(
      (result) => {
        if (ticket === generation) handlers.onResult(result, term);
      },
      (failure: unknown) => {
        if (ticket === generation) handlers.onFailure(failure, term);
      },
    );
  }

  function start(term: string, wait: number) {
    stopTimer();
    generation += 1;
    const ticket = generation;
    if (!searchBlank && term.trim() === "") {
      handlers.onCleared();
      return;
    }
    handlers.onSearching(term);
    if (wait <= 0) run(term, ticket);
    else timer = setTimeout(() => {
      timer = null;
      run(term, ticket);
    }, wait);
  }

  return {
    input: (term) => start(term, delay),
    now: (term) => start(term, 0),
    cancel() {
      stopTimer();
      generation += 1;
    },
  };
}

/** The name someone goes by: their display name, or their ID when they have none. */
export function personLabel(person: Pick<PersonFound, "user_id" | "display_name">): string {
  const name = person.display_name?.trim();
  return name ? name : person.user_id;
}

/**
 * An option's accessible name: their name then their ID ("Jean Dupont, @j.dupont:example.org"),
 * so that two people of the same name are told apart; the ID alone when it is all there is.
 */
export function optionName(person: Pick<PersonFound, "user_id" | "display_name">): string {
  const name = personLabel(person);
  return name === person.user_id ? person.user_id : t("people.option", { name, id: person.user_id });
}
