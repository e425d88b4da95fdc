/**
 * {@link PublishOutbox}: the sends of the async client that outlive a connection. A receipted send
 * (with `retry`, the default) stays here until a RECEIPT confirms it; when the connection is lost
 * first, it is written again on the next one, before any newer send, with the same headers and
 * body, a new receipt id and a resend count (`stompest-resend`), all copies carrying one
 * `stompest-publish-id`: at-least-once, and a consumer can drop the duplicates. Sends that wait
 * for a connection are held here too. Both are bounded (messages and bytes): a full outbox makes
 * the next send wait for room, in call order.
 *
 * @module
 */

import { StompCancelledError, StompConnectionError } from "../errors.ts";
import { deadline, Deferred } from "../connection/wait.ts";
import type { StompBody, StompHeadersInit } from "../protocol/frame.ts";
import { withResend } from "../protocol/publish_headers.ts";
import type { ConnectionGate, StompGatedCall } from "./gate.ts";
import type { StompOutboxLimits } from "./options.ts";

/**
 * One send as the outbox takes it: the frame's parts (headers complete, `content-length` included),
 * the receipt id of the first write (none: fire-and-forget), and its bounds.
 *
 * @example
 * ```ts
 * import type { StompOutboxSend } from "./outbox.ts";
 * const send: StompOutboxSend = { destination: "/queue/a", body: "x", headers: {}, receipt: "r-1", retry: true };
 * ```
 */
export interface StompOutboxSend {
  readonly destination: string;
  readonly body?: StompBody;
  readonly headers: StompHeadersInit;
  readonly receipt?: string;
  /** The transaction it is sent in (never resent: see {@link StompOutboxSend.retry}). */
  readonly transaction?: string;
  /** Resend after a loss until confirmed (receipted sends outside a transaction only). */
  readonly retry: boolean;
  /** Bounds the whole call. */
  readonly timeout?: number;
  readonly signal?: AbortSignal;
}

/**
 * What the outbox needs from the client.
 *
 * @example
 * ```ts ignore
 * const host: StompOutboxHost = { gate, receiptTimeout: 10_000, write: (d, b, h, r) => client.writeSend(d, b, h, r) };
 * ```
 */
export interface StompOutboxHost {
  /** Where sends wait for a connection. */
  readonly gate: ConnectionGate;
  /** Milliseconds a written send waits for its RECEIPT when the call set no timeout. */
  readonly receiptTimeout: number;
  /**
   * Builds the SEND on the current connection and writes it (synchronously up to the write);
   * resolves once written. With `receipt`, the RECEIPT is reported through {@link PublishOutbox.confirm}.
   */
  write(
    destination: string,
    body: StompBody | undefined,
    headers: StompHeadersInit,
    receipt: string | undefined,
    transaction: string | undefined,
  ): Promise<void>;
}

interface Entry {
  readonly send: StompOutboxSend;
  readonly bytes: number;
  readonly done: Deferred<void>;
  /** The receipt id of the latest write, while its RECEIPT is awaited. */
  receipt?: string;
  /** How many times it was written. */
  writes: number;
  timer?: ReturnType<typeof setTimeout>;
  /** Holding room in the outbox. */
  admitted: boolean;
}

/** The body's size in bytes (UTF-8 for text), counted without encoding it. */
function byteLength(body: StompBody | undefined): number {
  if (body === undefined) return 0;
  if (typeof body !== "string") return body.length;
  let bytes = body.length;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    if (code < 0x80) continue;
    // 2 bytes below U+0800, 3 for the rest of the BMP, 4 for a surrogate pair (2 per unit).
    bytes += code < 0x800 ? 1 : code >= 0xd800 && code < 0xe000 ? 1 : 2;
  }
  return bytes;
}

/**
 * The outbox of one client.
 *
 * @example
 * ```ts ignore
 * const outbox = new PublishOutbox(host, { maxMessages: 1000, maxBytes: 16 << 20 });
 * await outbox.publish({ destination: "/queue/a", body: "x", headers: {}, receipt: "r-1", retry: true });
 * // the client calls outbox.confirm("r-1") when the RECEIPT arrives
 * ```
 */
export class PublishOutbox {
  readonly #host: StompOutboxHost;
  readonly #limits: Required<StompOutboxLimits>;
  /** Every send holding room, in call order: waiting for a connection, or for its RECEIPT. */
  readonly #held = new Set<Entry>();
  /** Sends waiting for room, and calls behind them, in call order. */
  #waiting: (Entry | StompGatedCall)[] = [];
  readonly #byReceipt = new Map<string, Entry>();
  #bytes = 0;
  #resends = 0;

  /** An outbox writing through `host`, bounded by `limits`. */
  constructor(host: StompOutboxHost, limits: Required<StompOutboxLimits>) {
    this.#host = host;
    this.#limits = limits;
  }

  /** How many sends hold room (waiting for a connection or for their RECEIPT). */
  get size(): number {
    return this.#held.size;
  }

  /** How many sends wait for room. */
  get blocked(): number {
    return this.#waiting.length;
  }

  /** How many times a send was written again after a connection loss. */
  get resends(): number {
    return this.#resends;
  }

  /**
   * Whether a send may skip the outbox: connected, nobody waiting for a connection or for room.
   * Such a send (without retry) is written at once, as without an outbox.
   */
  get immediate(): boolean {
    return this.#waiting.length === 0 && this.#host.gate.immediate;
  }

  /**
   * Takes a send: waits for room, then for a connection, writes it, and (with a receipt) waits
   * for the RECEIPT, resending it after a loss when `retry`. `timeout`/`signal` bound all of it
   * ({@link StompCancelledError}; a cancelled send is never written afterwards, though one already
   * written may have been stored).
   */
  publish(send: StompOutboxSend): Promise<void> {
    const entry: Entry = {
      send,
      bytes: byteLength(send.body),
      done: new Deferred(),
      writes: 0,
      admitted: false,
    };
    const what = `send to ${send.destination}`;
    const settled = deadline(entry.done.promise, send, what, () => this.#settle(entry));
    if (this.#waiting.length === 0 && this.#fits(entry)) this.#admit(entry);
    else this.#waiting.push(entry);
    return settled;
  }

  /**
   * Hands another call (BEGIN, COMMIT, SUBSCRIBE, ...) to the gate in call order: behind the sends
   * that wait for room, so that e.g. a COMMIT never overtakes a SEND of its transaction.
   */
  submit(call: StompGatedCall): void {
    if (this.#waiting.length === 0) this.#host.gate.submit(call, {});
    else this.#waiting.push(call);
  }

  /** A RECEIPT arrived: settles the send it confirms. Returns false when the id is not one of ours. */
  confirm(receipt: string): boolean {
    const entry = this.#byReceipt.get(receipt);
    if (!entry) return false;
    this.#settle(entry);
    return true;
  }

  /** An ERROR answered `receipt`: its send fails. Returns false when the id is not one of ours. */
  fail(receipt: string, error: Error): boolean {
    const entry = this.#byReceipt.get(receipt);
    if (!entry) return false;
    this.#settle(entry, error);
    return true;
  }

  /**
   * The connection was lost: the RECEIPTs awaited will not come. Sends with `retry` wait to be
   * written again; the others reject with `reason` (they may or may not have been stored).
   */
  lost(reason: Error): void {
    const pending = [...this.#byReceipt.values()];
    this.#byReceipt.clear();
    for (const entry of pending) {
      clearTimeout(entry.timer);
      entry.receipt = undefined;
      if (!entry.send.retry) this.#settle(entry, reason);
    }
  }

  /**
   * A new connection is up (before the calls waiting for it run): writes again, in call order,
   * every send with `retry` that was written before and not confirmed.
   */
  resend(): void {
    for (const entry of this.#held) {
      if (entry.writes > 0 && entry.receipt === undefined && !entry.done.settled) {
        this.#resends++;
        this.#write(entry);
      }
    }
  }

  /** The client ended: every send held or waiting for room rejects with `error`. */
  close(error: Error): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const item of waiting) {
      if ("send" in item) this.#settle(item, error);
      else item.fail(error);
    }
    for (const entry of [...this.#held]) this.#settle(entry, error);
  }

  #fits(entry: Entry): boolean {
    if (this.#held.size === 0) return true; // one send larger than maxBytes goes alone
    return this.#held.size < this.#limits.maxMessages && this.#bytes + entry.bytes <= this.#limits.maxBytes;
  }

  #admit(entry: Entry): void {
    entry.admitted = true;
    this.#held.add(entry);
    this.#bytes += entry.bytes;
    this.#host.gate.submit({ run: () => this.#write(entry), fail: (e) => this.#settle(entry, e) }, {});
  }

  #write(entry: Entry): void {
    if (entry.done.settled) return;
    const { destination, body, headers, receipt, transaction, retry } = entry.send;
    const resend = entry.writes;
    entry.writes++;
    const id = receipt === undefined ? undefined : resend === 0 ? receipt : `${receipt}.${resend}`;
    const sent = resend === 0 ? headers : withResend(headers, resend);
    let written: Promise<void>;
    try {
      written = this.#host.write(destination, body, sent, id, transaction);
    } catch (error) {
      return this.#settle(entry, error as Error);
    }
    if (id !== undefined) {
      entry.receipt = id;
      this.#byReceipt.set(id, entry);
    }
    written.then(
      () => {
        if (id === undefined) return this.#settle(entry);
        if (entry.receipt !== id || entry.send.timeout !== undefined) return;
        const timeout = this.#host.receiptTimeout;
        entry.timer = setTimeout(
          () => this.#settle(entry, new StompCancelledError(`RECEIPT ${id} timed out after ${timeout} ms`)),
          timeout,
        );
      },
      (error) => {
        // A lost connection: `lost` decides; anything else (e.g. a frame that cannot be encoded) fails it.
        if (!(error instanceof StompConnectionError) || !retry || id === undefined) {
          this.#settle(entry, error);
        }
      },
    );
  }

  /** Resolves (no error) or rejects the send, frees its room and lets waiting sends in. */
  #settle(entry: Entry, error?: Error): void {
    if (entry.done.settled) return;
    clearTimeout(entry.timer);
    if (entry.receipt !== undefined) this.#byReceipt.delete(entry.receipt);
    if (error) entry.done.reject(error);
    else entry.done.resolve();
    entry.done.promise.catch(() => {});
    if (!entry.admitted) {
      this.#waiting = this.#waiting.filter((e) => e !== entry);
    } else {
      this.#held.delete(entry);
      this.#bytes -= entry.bytes;
    }
    this.#letIn();
  }

  /** Admits waiting sends while they fit, and hands the calls between them to the gate. */
  #letIn(): void {
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0];
      if ("send" in next) {
        if (!this.#fits(next)) return;
        this.#waiting.shift();
        this.#admit(next);
      } else {
        this.#waiting.shift();
        this.#host.gate.submit(next, {});
      }
    }
  }
}
