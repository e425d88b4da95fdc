/**
 * {@link StompUnconfirmedSends}: at-least-once publishing for the sync-style {@link Stomp}, which
 * keeps its explicit model (the caller reads every frame and reconnects). The helper remembers
 * each receipted send until the caller hands it the RECEIPT; after a lost connection and a new
 * `connect()`, {@link StompUnconfirmedSends.resend} writes the unconfirmed ones again, in order,
 * with new receipt ids. Every copy carries the same `stompest-publish-id` and resent ones a
 * `stompest-resend` count, as AsyncStomp's do, so a consumer can drop the duplicates.
 *
 * @module
 */

import type { StompBody, StompFrame, StompHeadersInit } from "../protocol/frame.ts";
import { withPublishId, withResend } from "../protocol/publish_headers.ts";
import type { Stomp } from "./client.ts";

interface Unconfirmed {
  readonly destination: string;
  readonly body?: StompBody;
  readonly headers: StompHeadersInit;
  readonly first: string;
  receipt: string;
  resends: number;
}

/**
 * The receipted sends of one {@link Stomp} client that no RECEIPT confirmed yet.
 *
 * The pattern: send through the helper, hand every frame you receive to
 * {@link StompUnconfirmedSends.confirm}, and after `connect()` following a loss call
 * {@link StompUnconfirmedSends.resend}. What is resent may have been stored before the loss:
 * at-least-once, dedupe by {@link PUBLISH_ID_HEADER}. Sends inside a transaction are refused: a
 * transaction dies with its connection, and resending its frames outside it would be wrong.
 *
 * @example
 * ```ts ignore
 * import { Stomp, StompConnectionError, StompUnconfirmedSends } from "stompest";
 * const client = new Stomp("failover:(tcp://127.0.0.1:61613)", { login: "guest", passcode: "guest" });
 * const sends = new StompUnconfirmedSends(client);
 * await client.connect();
 * await sends.send("/queue/orders", JSON.stringify({ id: 7 }), { persistent: "true" });
 * try {
 *   sends.confirm(await client.receiveFrame({ timeout: 5000 })); // the RECEIPT
 * } catch (error) {
 *   if (!(error instanceof StompConnectionError)) throw error;
 *   await client.connect();         // the caller reconnects...
 *   await sends.resend();           // ...and resends what was not confirmed
 * }
 * console.log(sends.size); // 0 once every RECEIPT came
 * ```
 */
export class StompUnconfirmedSends {
  readonly #client: Stomp;
  /** By the receipt id of the latest write; a Map keeps call order, resend() keeps it too. */
  #pending = new Map<string, Unconfirmed>();

  /** Tracks sends made through `client`. */
  constructor(client: Stomp) {
    this.#client = client;
  }

  /** How many sends wait for their RECEIPT. */
  get size(): number {
    return this.#pending.size;
  }

  /** The receipt ids awaited, in send order. */
  get receipts(): string[] {
    return [...this.#pending.keys()];
  }

  /**
   * Sends with a receipt (`receipt`, or a generated `send-<uuid>`) and a publish id, and remembers
   * it until {@link StompUnconfirmedSends.confirm}; resolves with the receipt id once written. A
   * `transaction` header is a TypeError. A failed write still remembers it: resend() sends it.
   */
  async send(
    destination: string,
    body?: StompBody,
    headers: StompHeadersInit = {},
    receipt = `send-${crypto.randomUUID()}`,
  ): Promise<string> {
    const inTransaction = Array.isArray(headers)
      ? (headers as ReadonlyArray<readonly [string, string]>).some(([name]) => name === "transaction")
      : (headers as Record<string, unknown>).transaction !== undefined;
    if (inTransaction) {
      throw new TypeError("StompUnconfirmedSends does not resend transactional sends: use client.send()");
    }
    if (this.#pending.has(receipt)) {
      throw new TypeError(`receipt ${JSON.stringify(receipt)} is already awaited`);
    }
    const sent = withPublishId(headers);
    this.#pending.set(receipt, { destination, body, headers: sent, first: receipt, receipt, resends: 0 });
    await this.#client.send(destination, body, sent, receipt);
    return receipt;
  }

  /**
   * Hand it every frame from `receiveFrame()`: returns true (and forgets the send) when `frame` is
   * the RECEIPT of a remembered send, false for anything else.
   */
  confirm(frame: StompFrame): boolean {
    if (frame.command !== "RECEIPT") return false;
    return this.#pending.delete(frame.headers["receipt-id"]);
  }

  /**
   * After `connect()`: writes every unconfirmed send again, in send order, with the same headers
   * and body, a new receipt id (`<first id>.<n>`) and `stompest-resend: <n>`. Resolves with how
   * many were resent. Rejects like `send()` when the connection is lost again; call it again
   * after the next `connect()`.
   */
  async resend(): Promise<number> {
    const entries = [...this.#pending.values()];
    this.#pending = new Map(entries.map((entry) => {
      entry.resends++;
      entry.receipt = `${entry.first}.${entry.resends}`;
      return [entry.receipt, entry];
    }));
    for (const entry of entries) {
      const { destination, body, headers, resends, receipt } = entry;
      await this.#client.send(destination, body, withResend(headers, resends), receipt);
    }
    return entries.length;
  }

  /** Forgets every unconfirmed send (e.g. when giving up on them). */
  clear(): void {
    this.#pending.clear();
  }
}
