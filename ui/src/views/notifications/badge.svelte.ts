// What waits to be read over every signed-in account: the window's title, the tray's icon,
// tooltip and menu, and the taskbar's badge. The core sums each account's rooms; the page
// adds the accounts up and writes the words in the person's language.

import { backend, type Live } from "../../lib/backend";
import type { UnreadTotals } from "../../lib/bindings";
import { t } from "../../lib/i18n";
import { session } from "../session.svelte";

class UnreadBadge {
  byAccount = $state<Record<string, UnreadTotals>>({});

  total = $derived(
    session.accounts.reduce((sum, account) => {
      const totals = this.byAccount[account.id];
      return sum + (totals ? totals.notifications + totals.invites : 0);
    }, 0),
  );

  /** Follows every account's totals and draws them; returns the stop. */
  start(): () => void {
    const watched = new Map<string, Live | null>();
    let stopped = false;
    const stop = $effect.root(() => {
      $effect(() => {
        const ids = new Set(session.accounts.map((account) => account.id));
        for (const id of ids) {
          if (watched.has(id)) continue;
          watched.set(id, null);
          void backend.watchUnreadTotals(id, (totals) => (this.byAccount[id] = totals)).then(
            (live) => {
              if (stopped || !watched.has(id)) live.close();
              else watched.set(id, live);
            },
            (failure) => console.warn("unread totals not watched", failure),
          );
        }
        for (const [id, live] of watched) {
          if (ids.has(id)) continue;
          live?.close();
          watched.delete(id);
          delete this.byAccount[id];
        }
      });
      // Redrawn when a total, an account or the language changes.
      $effect(() => {
        const total = this.total;
        document.title = total > 0 ? `(${total}) ${t("app.name")}` : t("app.name");
        const accounts = session.accounts.map((account) => {
          const totals = this.byAccount[account.id];
          const count = totals ? totals.notifications + totals.invites : 0;
          return count > 0
            ? t("tray.account_unread", { user: account.user_id, count })
            : t("tray.account_read", { user: account.user_id });
        });
        void backend
          .updateTray({
            total,
            tooltip: total > 0 ? t("tray.tooltip_unread", { count: total }) : t("app.name"),
            accounts,
            show_label: t("tray.show"),
            quit_label: t("tray.quit"),
          })
          .catch(() => undefined);
      });
    });
    return () => {
      stopped = true;
      stop();
      for (const live of watched.values()) live?.close();
      watched.clear();
    };
  }
}

export const unreadBadge = new UnreadBadge();
