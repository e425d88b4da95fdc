/**
 * {@link OpenTransactions}: which transactions of the async client belong to which connection. A
 * broker drops a transaction with its connection, so a frame for a transaction begun on an earlier
 * connection must not go out (the broker would refuse it, or worse, a resend would run it outside
 * the transaction): it fails with {@link StompTransactionLostError}.
 *
 * @module
 */

import { StompTransactionLostError } from "../errors.ts";

/**
 * The client's open transactions, and those lost with their connection.
 *
 * @example
 * ```ts
 * import { OpenTransactions } from "./transactions.ts";
 * const open = new OpenTransactions();
 * open.begin("tx-1");
 * open.connectionLost(new Error("EOF"));
 * try { open.check("tx-1"); } catch (e) { console.log((e as Error).name); } // "StompTransactionLostError"
 * ```
 */
export class OpenTransactions {
  readonly #open = new Set<string>();
  readonly #lost = new Map<string, Error>();

  /** `id` was begun on the current connection. */
  begin(id: string): void {
    this.#open.add(id);
  }

  /** Whether `id` was open when its connection was lost. */
  lost(id: string): boolean {
    return this.#lost.has(id);
  }

  /** Throws {@link StompTransactionLostError} when `id` (if any) was lost with its connection. */
  check(id: string | undefined): void {
    if (id === undefined) return;
    const reason = this.#lost.get(id);
    if (reason) throw new StompTransactionLostError(id, { cause: reason });
  }

  /** The connection was lost (because of `reason`): its transactions are gone on the broker. */
  connectionLost(reason: Error): void {
    for (const id of this.#open) this.#lost.set(id, reason);
    this.#open.clear();
  }

  /** COMMIT or ABORT of `id`: forgets it; throws {@link StompTransactionLostError} when it was lost. */
  finish(id: string): void {
    this.#open.delete(id);
    try {
      this.check(id);
    } finally {
      this.#lost.delete(id);
    }
  }
}
