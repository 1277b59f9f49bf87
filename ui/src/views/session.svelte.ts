// Which accounts are signed in on this machine and which one the window shows.

import { backend } from "../lib/backend";
import type { AccountInfo, LaunchInfo, UnrestoredAccount } from "../lib/bindings";
import { useLanguage, useSystemLanguages } from "../lib/i18n";
import { forgetPostponements } from "./security/postponed";
import { preferences } from "./preferences.svelte";

const CURRENT_ACCOUNT_KEY = "estafette.current-account";

class Session {
  launch = $state<LaunchInfo | null>(null);
  accounts = $state<AccountInfo[]>([]);
  /** Saved accounts that could not be opened: shown with their error, "Retry" and "Sign out". */
  notRestored = $state<UnrestoredAccount[]>([]);
  currentId = $state<string | null>(null);
  /** The sign-in screen is shown over signed-in accounts to add another one. */
  adding = $state(false);
  ready = $state(false);

  current = $derived(this.accounts.find((account) => account.id === this.currentId) ?? null);

  async load(): Promise<void> {
    const [launch, restored] = await Promise.all([
      backend.launchInfo(),
      backend.restoredAccounts(),
      // An unreadable settings file must not keep anyone from their messages: the defaults apply.
      preferences.load().catch(() => undefined),
    ]);
    this.launch = launch;
    useSystemLanguages(launch.languages);
    useLanguage(preferences.current.language);
    const accounts = restored.signed_in;
    this.accounts = accounts;
    this.notRestored = restored.not_restored;
    const remembered = localStorage.getItem(CURRENT_ACCOUNT_KEY);
    this.select(accounts.find((account) => account.id === remembered)?.id ?? accounts[0]?.id ?? null);
    this.ready = true;
  }

  select(id: string | null): void {
    this.currentId = id;
    if (id) localStorage.setItem(CURRENT_ACCOUNT_KEY, id);
    else localStorage.removeItem(CURRENT_ACCOUNT_KEY);
  }

  async signIn(homeserver: string | null, username: string, password: string): Promise<void> {
    this.signedIn(await backend.signIn(homeserver, username, password));
  }

  /** Signs in through the server's single sign-on in the system browser. */
  async signInWithSso(homeserver: string | null, username: string | null, provider: string | null): Promise<void> {
    this.signedIn(await backend.signInWithSso(homeserver, username, provider));
  }

  private signedIn(account: AccountInfo): void {
    this.accounts.push(account);
    this.adding = false;
    this.select(account.id);
  }

  /** Opens a saved account that could not be restored; throws, with its error, if it still fails. */
  async retryRestore(id: string): Promise<void> {
    const account = await backend.retryRestore(id);
    this.notRestored = this.notRestored.filter((unrestored) => unrestored.info.id !== id);
    this.accounts.push(account);
    if (!this.current) this.select(account.id);
  }

  async signOut(id: string): Promise<void> {
    await backend.signOut(id);
    forgetPostponements(id);
    this.accounts = this.accounts.filter((account) => account.id !== id);
    this.notRestored = this.notRestored.filter((unrestored) => unrestored.info.id !== id);
    if (this.currentId === id) this.select(this.accounts[0]?.id ?? null);
  }
}

export const session = new Session();
