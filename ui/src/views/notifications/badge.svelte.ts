// What waits to be read over every signed-in account: the window's title, the tray's icon,
// tooltip and menu, and the taskbar's badge. The core sums each account's rooms; the page
// adds the accounts up and writes the words in the person's language.

import { backend } from "../../lib/backend";
import type { UnreadTotals } from "../../lib/bindings";
import { t } from "../../lib/i18n";
import { session } from "../session.svelte";
import { followAccounts } from "./followAccounts.svelte";

/** What the badge counts of an account: notifying messages and invitations. */
function badgeOf(totals: UnreadTotals | undefined): number {
  return totals ? totals.notifications + totals.invites : 0;
}

class UnreadBadge {
  byAccount = $state<Record<string, UnreadTotals>>({});

  total = $derived(session.accounts.reduce((sum, account) => sum + badgeOf(this.byAccount[account.id]), 0));

  /** Follows every account's totals and draws them; returns the stop. */
  start(): () => void {
    const stopFollowing = followAccounts(
      (account) => backend.watchUnreadTotals(account, (totals) => (this.byAccount[account] = totals)),
      (account) => delete this.byAccount[account],
    );
    // Redrawn when a total, an account or the language changes. The only writer of the
    // window's title.
    const stopDrawing = $effect.root(() => {
      $effect(() => {
        const total = this.total;
        document.title = total > 0 ? `(${total}) ${t("app.name")}` : t("app.name");
        const accounts = session.accounts.map((account) => {
          const count = badgeOf(this.byAccount[account.id]);
          if (count === 0) return t("tray.account_read", { user: account.user_id });
          return count === 1
            ? t("tray.account_unread_one", { user: account.user_id })
            : t("tray.account_unread", { user: account.user_id, count });
        });
        const tooltip =
          total === 0 ? t("app.name") : total === 1 ? t("tray.tooltip_unread_one") : t("tray.tooltip_unread", { count: total });
        void backend
          .updateTray({ total, tooltip, accounts, show_label: t("tray.show"), quit_label: t("tray.quit") })
          .catch(() => undefined);
      });
    });
    return () => {
      stopDrawing();
      stopFollowing();
    };
  }
}

export const unreadBadge = new UnreadBadge();
