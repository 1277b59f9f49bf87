// The one verification shown at a time: asked by this user (of a device or a person) or by
// someone else (an incoming request). `VerificationDialog` displays it.

import { backend, type Live } from "../../lib/backend";
import type { VerificationFlow, VerificationId, VerificationState } from "../../lib/bindings";

export interface ActiveVerification {
  account: string;
  id: VerificationId;
  /** Verifying another device of this user, rather than another person. */
  ownDevice: boolean;
  /** Who or what is verified, as the dialog names it. */
  otherName: string;
  state: VerificationState;
  /** Set when a command failed: the error's code for `errorText`. */
  error: { code: string; message: string } | null;
}

function sameFlow(a: VerificationId, b: VerificationId): boolean {
  return a.user_id === b.user_id && a.flow_id === b.flow_id;
}

class Verifications {
  active = $state<ActiveVerification | null>(null);
  private live: Live | null = null;

  /** Starts a flow this user asked for (`start` sends the request) and shows it. */
  async request(
    account: string,
    start: () => Promise<VerificationFlow>,
    otherName: string,
    ownDevice: boolean,
  ): Promise<void> {
    this.close();
    const flow = await start();
    this.show(account, flow.id, otherName, ownDevice, { state: "requested" });
  }

  /** Someone asks: shown unless another verification is on screen. */
  offer(account: string, id: VerificationId, otherName: string, ownDevice: boolean): void {
    if (this.active && !this.isFinished()) return;
    this.show(account, id, otherName, ownDevice, { state: "incoming" });
  }

  private show(
    account: string,
    id: VerificationId,
    otherName: string,
    ownDevice: boolean,
    state: VerificationState,
  ): void {
    this.close();
    this.active = { account, id, ownDevice, otherName, state, error: null };
    void backend
      .watchVerification(account, id, (next) => {
        if (this.active && sameFlow(this.active.id, id)) this.active.state = next;
      })
      .then((live) => {
        if (this.active && sameFlow(this.active.id, id)) this.live = live;
        else live.close();
      })
      .catch((error: { code: string; message: string }) => this.fail(id, error));
  }

  private fail(id: VerificationId, error: { code: string; message: string }): void {
    if (this.active && sameFlow(this.active.id, id)) this.active.error = error;
  }

  private async act(action: (account: string, id: VerificationId) => Promise<unknown>): Promise<void> {
    const active = this.active;
    if (!active) return;
    active.error = null;
    try {
      await action(active.account, active.id);
    } catch (error) {
      this.fail(active.id, error as { code: string; message: string });
    }
  }

  accept = () => this.act(backend.acceptVerification);
  confirm = () => this.act(backend.confirmVerification);
  reject = () => this.act(backend.rejectVerification);

  /** Declines or stops the flow, and closes the dialog. */
  async cancel(): Promise<void> {
    if (!this.isFinished()) await this.act(backend.cancelVerification);
    this.close();
  }

  isFinished(): boolean {
    const state = this.active?.state.state;
    return state === "done" || state === "cancelled";
  }

  close(): void {
    this.live?.close();
    this.live = null;
    this.active = null;
  }
}

export const verifications = new Verifications();
