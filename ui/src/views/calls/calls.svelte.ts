// Every signed-in account's calls, live: the one going on (shown by the call screen, or by the
// bar while that screen is hidden), those ringing, and how the last one ended. Kept above the
// rooms so that a call survives switching rooms and accounts.

import { backend } from "../../lib/backend";
import type { CallView } from "../../lib/bindings";
import { t } from "../../lib/i18n";
import { followAccounts } from "../notifications/followAccounts.svelte";
import { Ringer } from "./ringer";

/** A call with the account it belongs to. */
export type AccountCall = CallView & { account: string };

function key(call: AccountCall): string {
  return `${call.account} ${call.call_id}`;
}

class Calls {
  byAccount = $state<Record<string, CallView[]>>({});
  /** The other person's display name, by call. */
  names = $state<Record<string, string>>({});
  /** The call screen is hidden: the bar stands for it. */
  hidden = $state(false);

  all = $derived(
    Object.entries(this.byAccount).flatMap(([account, calls]) => calls.map((call) => ({ ...call, account }))),
  );
  ringing = $derived(this.all.filter((call) => call.state.state === "ringing"));
  /** The call the screen shows: the one going on, else one that ended and is not closed yet.
   * A call that only rang here (missed, declined, answered on another device) never gets the
   * screen: the conversation tells it, and it is dismissed at once. */
  current = $derived(
    this.all.find((call) => call.state.state !== "ringing" && call.state.state !== "ended") ??
      this.all.find((call) => call.state.state === "ended" && !this.#onlyRang.has(key(call))) ??
      null,
  );
  /** Calls seen ringing here and not answered here (yet). */
  #onlyRang = new Set<string>();

  nameOf(call: AccountCall): string {
    return this.names[key(call)] ?? call.peer;
  }

  /** Follows every account's calls, rings while one rings; returns the stop. */
  start(): () => void {
    const ringer = new Ringer();
    const stopFollowing = followAccounts(
      (account) => backend.watchCalls(account, (calls) => this.update(account, calls)),
      (account) => delete this.byAccount[account],
    );
    const stopRinging = $effect.root(() => {
      $effect(() => {
        if (this.ringing.length > 0) ringer.start();
        else ringer.stop();
      });
    });
    return () => {
      stopRinging();
      ringer.stop();
      stopFollowing();
    };
  }

  private update(account: string, calls: CallView[]): void {
    const known = new Set((this.byAccount[account] ?? []).map((call) => call.call_id));
    for (const call of calls) {
      const id = key({ ...call, account });
      if (call.state.state === "ringing" && !known.has(call.call_id)) this.#onlyRang.add(id);
      else if (call.state.state !== "ringing" && call.state.state !== "ended") this.#onlyRang.delete(id);
      else if (call.state.state === "ended" && this.#onlyRang.has(id)) {
        void backend.dismissCall(account, call.call_id).catch(() => undefined);
      }
    }
    const listed = new Set(calls.map((call) => key({ ...call, account })));
    for (const id of this.#onlyRang) if (id.startsWith(`${account} `) && !listed.has(id)) this.#onlyRang.delete(id);
    this.byAccount[account] = calls;
    // Each new call's other person is named once: their name in the room, else their ID.
    for (const call of calls.filter((call) => !known.has(call.call_id))) {
      const withAccount = { ...call, account };
      void backend
        .roomMembers(account, call.room_id)
        .then(
          (members) => {
            const name = members.find((member) => member.user_id === call.peer)?.display_name;
            if (name) this.names[key(withAccount)] = name;
          },
          () => undefined,
        )
        .then(() => {
          if (call.state.state === "ringing") void this.notify(withAccount);
        });
    }
    // Names of calls gone from the list are forgotten.
    const present = new Set(this.all.map(key));
    for (const name of Object.keys(this.names)) if (!present.has(name) && name.startsWith(`${account} `)) delete this.names[name];
    // A new call comes to the front.
    if (calls.some((call) => !known.has(call.call_id))) this.hidden = false;
  }

  /** The system's notification for a call ringing while the window may be elsewhere. */
  private async notify(call: AccountCall): Promise<void> {
    if (document.hasFocus()) return;
    const name = this.nameOf(call);
    await backend
      .showNotification(
        {
          account_id: call.account,
          room_id: call.room_id,
          title: t("app.name"),
          body: call.video ? t("call.incoming_video", { name }) : t("call.incoming_voice", { name }),
          gathered: false,
        },
        t("notify.open"),
      )
      .catch(() => undefined);
  }
}

export const calls = new Calls();
