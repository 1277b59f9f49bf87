// Something live for each signed-in account (its alerts, its unread totals), opened when the
// account signs in or is restored, closed when it signs out.

import type { Live } from "../../lib/backend";
import { session } from "../session.svelte";

/**
 * Calls `open` for each signed-in account, now and as accounts come, and closes what it
 * opened when the account goes (then `onGone`). Returns the stop.
 */
export function followAccounts(open: (account: string) => Promise<Live>, onGone?: (account: string) => void): () => void {
  const opened = new Map<string, Live | null>();
  let stopped = false;
  const stopEffects = $effect.root(() => {
    $effect(() => {
      const ids = new Set(session.accounts.map((account) => account.id));
      for (const id of ids) {
        if (opened.has(id)) continue;
        opened.set(id, null);
        open(id).then(
          (live) => {
            if (stopped || !opened.has(id)) live.close();
            else opened.set(id, live);
          },
          (failure) => console.warn("live account data not opened", failure),
        );
      }
      for (const [id, live] of opened) {
        if (ids.has(id)) continue;
        live?.close();
        opened.delete(id);
        onGone?.(id);
      }
    });
  });
  return () => {
    stopped = true;
    stopEffects();
    for (const live of opened.values()) live?.close();
    opened.clear();
  };
}

/** Whether `account` is still signed in (an update may come after it signed out). */
export function isSignedIn(account: string): boolean {
  return session.accounts.some((signedIn) => signedIn.id === account);
}
