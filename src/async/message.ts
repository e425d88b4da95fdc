/**
 * {@link StompMessage}: a MESSAGE frame as an async subscription yields it, with `ack()` and
 * `nack()` bound to the connection it arrived on.
 *
 * @module
 */

import type { StompFrame, StompHeaders } from "../protocol/frame.ts";
import { PUBLISH_ID_HEADER, RESEND_HEADER } from "../protocol/publish_headers.ts";

/**
 * Options of {@link StompMessage.ack} and {@link StompMessage.nack}.
 *
 * @example
 * ```ts
 * import type { StompAckCallOptions } from "./message.ts";
 * const options: StompAckCallOptions = { receipt: true, transaction: "tx-1", headers: { requeue: "false" } };
 * ```
 */
export interface StompAckCallOptions {
  /** Wait for the broker's RECEIPT (`true` generates an id). */
  readonly receipt?: boolean | string;
  /** Acknowledge inside this (active) transaction. */
  readonly transaction?: string;
  /** Milliseconds to wait for the receipt. */
  readonly timeout?: number;
  /** Aborts the wait for the receipt. */
  readonly signal?: AbortSignal;
  /**
   * Extra headers, e.g. RabbitMQ's `requeue: "false"` on a NACK (drop instead of requeue). They
   * cannot replace the headers that identify the message, nor `receipt` or `transaction`.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * What a message needs from its subscription: where its `ack()`/`nack()` go. The async client
 * builds messages with one; a test can build a message with its own.
 *
 * @example
 * ```ts
 * import { type StompMessageOwner, StompMessage } from "./message.ts";
 * import { StompFrame } from "../protocol/frame.ts";
 * const owner: StompMessageOwner = { settle: async (_message, kind) => console.log(kind) };
 * const msg = new StompMessage(new StompFrame("MESSAGE", { "message-id": "1" }), 1, owner, false);
 * await msg.ack(); // "ack"
 * console.log(msg.settled); // true
 * ```
 */
export interface StompMessageOwner {
  /** Sends the ACK or NACK; called once per message (settling twice does nothing the second time). */
  settle(message: StompMessage, kind: "ack" | "nack", options: StompAckCallOptions): Promise<void>;
}

/** Marks a message settled without sending anything; set by the class below for subscription.ts. */
let mark: (message: StompMessage) => boolean;

/**
 * Marks `message` settled without sending anything (an earlier message covered by a cumulative
 * `client` ACK); returns whether it was settled already. For the subscription that owns it; users
 * settle with `ack()`/`nack()`.
 *
 * @internal
 * @example
 * ```ts
 * import { markSettled, StompMessage } from "./message.ts";
 * import { StompFrame } from "../protocol/frame.ts";
 * const msg = new StompMessage(new StompFrame("MESSAGE"), 1, { settle: () => Promise.resolve() }, false);
 * console.log(markSettled(msg), msg.settled); // false true
 * ```
 */
export function markSettled(message: StompMessage): boolean {
  return mark(message);
}

/**
 * A received MESSAGE. `ack()`/`nack()` settle it on the connection it arrived on and resolve once
 * the frame is written; when that connection is gone, or is lost before the frame is out, they
 * resolve all the same, because the broker redelivers what was not acknowledged (the loss is the
 * client's `disconnected` event). Only `{ receipt: true }` waits for the broker's confirmation and
 * rejects when the connection is lost first. Settling twice does nothing the second time.
 *
 * @example
 * ```ts ignore
 * for await (const msg of subscription) {
 *   console.log(msg.destination, msg.json());
 *   await msg.ack();
 * }
 * ```
 */
export class StompMessage {
  /** The MESSAGE frame. */
  readonly frame: StompFrame;
  /** Which connection (counted from 1) delivered it. */
  readonly generation: number;
  #owner: StompMessageOwner;
  #settled: boolean;

  static {
    mark = (message) => {
      const was = message.#settled;
      message.#settled = true;
      return was;
    };
  }

  /** Built by the client; `settled` starts true for auto-ack subscriptions. */
  constructor(frame: StompFrame, generation: number, owner: StompMessageOwner, settled: boolean) {
    this.frame = frame;
    this.generation = generation;
    this.#owner = owner;
    this.#settled = settled;
  }

  /** True once acked or nacked (or acked for you, in auto mode); read-only: settle with `ack()`/`nack()`. */
  get settled(): boolean {
    return this.#settled;
  }

  /** The frame's headers (first wins). */
  get headers(): StompHeaders {
    return this.frame.headers;
  }

  /** The body bytes. */
  get body(): Uint8Array {
    return this.frame.body;
  }

  /** The `destination` header. */
  get destination(): string {
    return this.frame.headers.destination;
  }

  /** The `message-id` header. */
  get id(): string {
    return this.frame.headers["message-id"];
  }

  /**
   * The producer's publish id (`stompest-publish-id`): the same on every copy of one receipted
   * send, so a consumer that saw it already can drop the copy. Undefined when the sender set none.
   */
  get publishId(): string | undefined {
    return this.frame.headers[PUBLISH_ID_HEADER];
  }

  /**
   * True when this copy was resent by the producer after it lost its connection before the
   * RECEIPT (`stompest-resend` header): an earlier copy may have been stored as well. Unlike the
   * broker's `redelivered`, this marks a second stored message, not a second delivery of one.
   */
  get resent(): boolean {
    return this.frame.headers[RESEND_HEADER] !== undefined;
  }

  /** The body as UTF-8 text. */
  text(): string {
    return this.frame.text();
  }

  /** The body parsed as JSON. */
  json<T = unknown>(): T {
    return this.frame.json<T>();
  }

  /** Acknowledges the message (client and client-individual subscriptions). */
  ack(options: StompAckCallOptions = {}): Promise<void> {
    return this.#settle("ack", options);
  }

  /** Rejects the message (STOMP 1.1+). */
  nack(options: StompAckCallOptions = {}): Promise<void> {
    return this.#settle("nack", options);
  }

  #settle(kind: "ack" | "nack", options: StompAckCallOptions): Promise<void> {
    if (this.#settled) return Promise.resolve();
    this.#settled = true;
    return this.#owner.settle(this, kind, options);
  }
}
