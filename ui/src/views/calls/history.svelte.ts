// What became of the calls of the conversations open (answered and how long, declined,
// missed), for the rows of their invites. The conversation follows its room's calls while it
// is open; a row reads its call here by the invite's event.

import type { CallRecord } from "../../lib/bindings";

class CallHistory {
  #byRoom = $state<Record<string, Map<string, CallRecord>>>({});

  show(account: string, roomId: string, records: CallRecord[]): void {
    this.#byRoom[`${account} ${roomId}`] = new Map(records.map((record) => [record.event_id, record]));
  }

  forget(account: string, roomId: string): void {
    delete this.#byRoom[`${account} ${roomId}`];
  }

  /** The call whose invite is `eventId`, once its room's calls are known. */
  of(account: string, roomId: string, eventId: string | null): CallRecord | undefined {
    return eventId === null ? undefined : this.#byRoom[`${account} ${roomId}`]?.get(eventId);
  }
}

export const callHistory = new CallHistory();
