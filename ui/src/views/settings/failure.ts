// Small helpers shared by the security settings and the warnings they lead to.

import { BackendError } from "../../lib/backend";

export { failureText } from "../../lib/i18n";

/** The server wants the account password before it does this (user-interactive auth). */
export function needsPassword(failure: unknown): boolean {
  return failure instanceof BackendError && failure.code === "encryption.password_required";
}

/** Moves focus to a field when it appears, so that a step's next action is where the user is. */
export function focusOnMount(node: HTMLElement): void {
  node.focus();
}
