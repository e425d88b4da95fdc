/**
 * The RECEIPTs the async client waits for: each pending one is a promise with a deadline, settled
 * by the broker's RECEIPT or ERROR, and rejected when the connection is lost (a receipt never
 * crosses connections: the broker that would have sent it is gone).
 *
 * @module
 */

import { deadline, Deferred, type StompWaitOptions } from "../connection/wait.ts";

/**
 * The receipt id a call asks for: none for `undefined`/`false`, a fresh `prefix-<uuid>` for
 * `true`, else the given id.
 *
 * @example
 * ```ts
 * import { receiptId } from "./receipts.ts";
 * console.log(receiptId(true, "send")); // "send-0b6f…"
 * console.log(receiptId("mine", "send"), receiptId(false, "send")); // "mine" undefined
 * ```
 */
export function receiptId(receipt: boolean | string | undefined, prefix: string): string | undefined {
  if (receipt === undefined || receipt === false) return undefined;
  return receipt === true ? `${prefix}-${crypto.randomUUID()}` : receipt;
}

/**
 * The pending receipts of one client, by id.
 *
 * @example
 * ```ts
 * import { PendingReceipts } from "./receipts.ts";
 * const receipts = new PendingReceipts();
 * const write = () => Promise.resolve(); // writes the frame that asks for receipt "r-1"
 * const confirmed = receipts.send("r-1", write, { timeout: 1000 });
 * receipts.resolve("r-1"); // the RECEIPT arrived
 * await confirmed;
 * ```
 */
export class PendingReceipts {
  #waiters = new Map<string, Deferred<void>>();

  /**
   * Registers `id` and returns its waiter, for a caller that waits on it its own way. It stays
   * registered until its RECEIPT arrives or {@link PendingReceipts.rejectAll}.
   */
  expect(id: string): Deferred<void> {
    const waiter = new Deferred<void>();
    // Rejected by rejectAll whether or not anyone still waits (a failed write leaves no waiter):
    // that must never surface as an unhandled rejection. Whoever awaits it still gets the error.
    waiter.promise.catch(() => {});
    this.#waiters.set(id, waiter);
    return waiter;
  }

  /**
   * Registers `id` before calling `send` (so a quick RECEIPT finds its waiter), then waits for the
   * RECEIPT within `wait`. A failed write or a cancelled wait forgets the id.
   */
  async send(id: string, send: () => Promise<void>, wait: StompWaitOptions): Promise<void> {
    const waiter = this.expect(id);
    try {
      await send();
    } catch (error) {
      this.#waiters.delete(id);
      throw error;
    }
    await deadline(waiter.promise, wait, `RECEIPT ${id}`, () => this.#waiters.delete(id));
  }

  /** The RECEIPT for `id` arrived; false when nobody waits for it (its wait was cancelled). */
  resolve(id: string): boolean {
    const waiter = this.#waiters.get(id);
    this.#waiters.delete(id);
    waiter?.resolve();
    return waiter !== undefined;
  }

  /**
   * An ERROR frame answered `id`. The waiter stays registered: an ERROR ends the client, whose
   * {@link PendingReceipts.rejectAll} clears it.
   */
  reject(id: string, error: Error): void {
    this.#waiters.get(id)?.reject(error);
  }

  /** Rejects and forgets every pending receipt: the connection that would answer them is gone. */
  rejectAll(error: Error): void {
    for (const waiter of this.#waiters.values()) waiter.reject(error);
    this.#waiters.clear();
  }
}
