// Security steps the user put off ("Later"), per account and remembered across launches: the
// set-up modal then no longer opens by itself at every start or account switch, and only the
// calm banner asks.

export type Postponable = "confirm" | "setup";

const STEPS: readonly Postponable[] = ["confirm", "setup"];

function key(account: string, step: Postponable): string {
  return `estafette.postponed.${account}.${step}`;
}

/** Storage may be unavailable (private mode, a full disk): then nothing is remembered. */
function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

export function postponements(account: string): Record<Postponable, boolean> {
  const store = storage();
  return {
    confirm: store?.getItem(key(account, "confirm")) === "1",
    setup: store?.getItem(key(account, "setup")) === "1",
  };
}

export function postpone(account: string, step: Postponable): void {
  try {
    storage()?.setItem(key(account, step), "1");
  } catch {
    // Not remembered: the modal opens again next launch, as before.
  }
}

/** Once a step is done, or the account is signed out, its postponement means nothing. */
export function forgetPostponement(account: string, step: Postponable): void {
  storage()?.removeItem(key(account, step));
}

export function forgetPostponements(account: string): void {
  for (const step of STEPS) forgetPostponement(account, step);
}
