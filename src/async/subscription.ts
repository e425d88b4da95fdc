/**
 * {@link StompAsyncSubscription}: a subscription of the async client, consumed as an async
 * iterable or by a handler, with a bounded buffer.
 *
 * @module
 */

import type { StompToken } from "../protocol/commands.ts";
import { StompSlowConsumerError } from "../errors.ts";
import type { StompFrame } from "../protocol/frame.ts";
import type { StompAckMode } from "../protocol/spec.ts";
import { Deferred } from "../connection/wait.ts";
import { type StompAckCallOptions, StompMessage } from "./message.ts";

/**
 * A message handler; with client acks the message is acked after it resolves.
 *
 * @example
 * ```ts
 * import type { StompMessageHandler } from "./subscription.ts";
 * const handler: StompMessageHandler = async (msg) => console.log(msg.json());
 * ```
 */
export type StompMessageHandler = (message: StompMessage) => unknown;

/**
 * Replaces the default policy for a failed handler (send to `errorDestination`, or else disconnect
 * gracefully so the unacknowledged message comes back). Whatever it does is final: the message is
 * neither acked nor forwarded for it; throwing from it disconnects the client with that error.
 *
 * @example
 * ```ts
 * import type { StompMessageFailedHandler } from "./subscription.ts";
 * const onMessageFailed: StompMessageFailedHandler = (error, msg) => msg.nack();
 * ```
 */
export type StompMessageFailedHandler = (error: unknown, message: StompMessage) => unknown;

/**
 * Options of the async client's `subscribe`.
 *
 * @example
 * ```ts
 * import type { StompSubscribeOptions } from "./subscription.ts";
 * const options: StompSubscribeOptions = {
 *   ack: "client-individual",
 *   handler: async (msg) => console.log(msg.text()),
 *   errorDestination: "/queue/errors",
 * };
 * ```
 */
export interface StompSubscribeOptions {
  /**
   * Ack mode; the `ack` header wins when both are given. Default `auto`, or with a handler
   * `client-individual` (`client` in 1.0, which has nothing else). A `client` ACK is cumulative,
   * and on RabbitMQ it covers every earlier message of the connection, of every subscription: there
   * a `client` subscription beside another non-`auto` one (or after one ended on the same
   * connection) is refused with a `StompProtocolError` (give it a connection of its own, or use
   * `client-individual`).
   */
  readonly ack?: StompAckMode;
  /** Wait for the broker's RECEIPT of the SUBSCRIBE (`true` generates an id). */
  readonly receipt?: boolean | string;
  /** Client acks: unacked messages allowed at once, told to the broker as its prefetch. Default 100. */
  readonly window?: number;
  /** Auto ack: messages buffered before the subscription fails as a slow consumer. Default 1000. */
  readonly bufferSize?: number;
  /** Consume with this handler instead of iterating. */
  readonly handler?: StompMessageHandler;
  /** Where a copy of a message whose handler threw is sent (then the original is acked). */
  readonly errorDestination?: string;
  /** Replaces the failed-handler policy. */
  readonly onMessageFailed?: StompMessageFailedHandler;
  /** Handler calls running at once (default 1, which keeps order; always 1 with `client` acks). */
  readonly concurrency?: number;
  /** Milliseconds to wait for the receipt. */
  readonly timeout?: number;
  /** Aborting ends the subscription (and the wait for its receipt). */
  readonly signal?: AbortSignal;
}

/** What a subscription needs from its client. */
export interface StompSubscriptionHost {
  settle(
    sub: StompAsyncSubscription,
    message: StompMessage,
    kind: "ack" | "nack",
    options: StompAckCallOptions,
  ): Promise<void>;
  /** Sends UNSUBSCRIBE; with `confirm`, resolves once the broker's RECEIPT for it came. */
  unsubscribe(sub: StompAsyncSubscription, confirm?: boolean): Promise<void>;
  failed(sub: StompAsyncSubscription, message: StompMessage, error: unknown): Promise<void>;
  track(work: Promise<unknown>): void;
}

/**
 * A subscription of the async client. Iterate it (`for await (const msg of sub)`); leaving the
 * loop unsubscribes. Or pass a `handler` when subscribing. It never buffers without bound: with
 * client acks at most `window` messages are unacknowledged (the broker is told the same number);
 * with auto acks a full buffer fails the subscription with {@link StompSlowConsumerError}.
 *
 * @example
 * ```ts ignore
 * const sub = await client.subscribe("/queue/work", { ack: "client-individual" });
 * for await (const msg of sub) {
 *   await process(msg.json());
 *   await msg.ack();
 * }
 * ```
 */
export class StompAsyncSubscription implements AsyncIterable<StompMessage> {
  /** The destination subscribed to. */
  readonly destination: string;
  /** The ack mode. */
  readonly ackMode: StompAckMode;
  /** Client acks: unacked messages allowed at once. */
  readonly window: number;
  /** Auto ack: buffered messages allowed. */
  readonly bufferSize: number;
  /** Identifies the subscription in the session (kept across reconnects). */
  token!: StompToken;
  #host: StompSubscriptionHost;
  #buffer: StompMessage[] = [];
  #unacked: StompMessage[] = [];
  #waiter?: Deferred<void>;
  #error?: Error;
  #ended = false;
  #stopping = false;
  #iterating = false;
  #closed = new Deferred<void>();
  #dropped = 0;
  /** Set when the auto-ack buffer overflowed: what the StompSlowConsumerError says. */
  #overflow?: string;
  /** Settles once the broker confirmed the UNSUBSCRIBE after an overflow (or that wait failed). */
  #unsubscribed?: Promise<void>;
  #confirmed = false;

  /** Built by the client's `subscribe`. */
  constructor(
    host: StompSubscriptionHost,
    destination: string,
    ackMode: StompAckMode,
    options: StompSubscribeOptions,
  ) {
    this.#host = host;
    this.destination = destination;
    this.ackMode = ackMode;
    this.window = options.window ?? 100;
    this.bufferSize = options.bufferSize ?? 1000;
    this.#closed.promise.catch(() => {});
  }

  /** Resolves when the subscription ends; rejects with the reason it failed. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /** True once the subscription ended (unsubscribed, failed, or the client closed). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Messages delivered and not yet acked (client acks), for tests and monitoring. */
  get unacked(): number {
    return this.#unacked.length;
  }

  /** Messages buffered and not yet taken. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /**
   * Auto ack: messages that arrived after the subscription ended (or overflowed) and were not handed
   * out, lost since the broker counts them delivered. With client acks the broker redelivers them.
   */
  get dropped(): number {
    return this.#dropped;
  }

  /** Takes a MESSAGE from the client (also one that arrives after this subscription ended). */
  deliver(frame: StompFrame, generation: number): void {
    const auto = this.ackMode === "auto";
    if (this.#ended || this.#stopping) {
      if (auto) this.#dropped++;
      return;
    }
    const message = new StompMessage(frame, generation, this, auto);
    if (auto) {
      if (this.#buffer.length >= this.bufferSize) {
        this.#dropped++;
        return this.#overflowed(
          `${this.destination}: ${this.bufferSize} messages buffered and not taken (auto ack): slow consumer`,
        );
      }
    } else {
      this.#unacked.push(message);
      // The broker was told `window`; allow slack for brokers that count differently, never unbounded.
      if (this.#unacked.length > 2 * this.window) {
        return this.fail(
          new StompSlowConsumerError(
            `${this.destination}: more than ${2 * this.window} unacked messages (window ${this.window}): ` +
              "the broker ignores the prefetch or messages are not acked",
          ),
        );
      }
    }
    this.#buffer.push(message);
    this.#wake();
  }

  /**
   * The broker reported a delivery to this ended subscription that it could not make (RabbitMQ's ERROR
   * for a message that raced the UNSUBSCRIBE): with auto acks that message is lost.
   */
  lateDelivery(): void {
    if (this.ackMode === "auto") this.#dropped++;
  }

  /**
   * The auto-ack buffer is full: no more messages are taken, the broker is told to stop (UNSUBSCRIBE
   * with a receipt), and what still arrives until it confirms is counted as dropped. Iterators throw
   * the StompSlowConsumerError after the buffered messages and that confirmation.
   */
  #overflowed(what: string): void {
    if (this.#ended) return;
    this.#overflow = what;
    this.#error = new StompSlowConsumerError(what, { dropped: this.#dropped });
    this.#unsubscribed = this.#host.unsubscribe(this, true).catch(() => {}).finally(() => {
      this.#confirmed = true;
      this.#error = this.#slowConsumerError();
    });
    this.#finish();
  }

  #slowConsumerError(): StompSlowConsumerError {
    const n = this.#dropped;
    // What still arrives after the confirmation (RabbitMQ reports a few late) goes on in `dropped`.
    const lost = `${n} message${n === 1 ? "" : "s"} arrived after that, until the broker confirmed the ` +
      `UNSUBSCRIBE, and ${n === 1 ? "was" : "were"} dropped (auto ack: the broker counts them delivered)`;
    return new StompSlowConsumerError(`${this.#overflow}; ${lost}`, { dropped: n });
  }

  /** The connection was lost: what was not acked will be redelivered, so forget it. */
  connectionLost(): void {
    if (this.ackMode === "auto") return;
    this.#unacked = [];
    this.#buffer = [];
  }

  /** Called by a message's `ack()`/`nack()`. */
  settle(message: StompMessage, kind: "ack" | "nack", options: StompAckCallOptions): Promise<void> {
    if (message.settled) return Promise.resolve();
    message.settled = true;
    const at = this.#unacked.indexOf(message);
    if (at >= 0 && this.ackMode === "client" && kind === "ack") {
      // A cumulative `client` ACK settles every earlier message too.
      for (let i = 0; i < at; i++) this.#unacked[i].settled = true;
      this.#unacked.splice(0, at + 1);
    } else if (at >= 0) {
      this.#unacked.splice(at, 1);
    }
    return this.#host.settle(this, message, kind, options);
  }

  /** Ends the subscription with an error: iterators throw it after the buffered auto-ack messages. */
  fail(error: Error): void {
    if (this.#ended) return;
    this.#error = error;
    this.#finish();
    this.#host.unsubscribe(this).catch(() => {});
  }

  /** Stops taking messages (graceful disconnect): auto-ack messages already taken are still handed out. */
  stop(): void {
    this.#stopping = true;
    if (this.ackMode !== "auto") {
      this.#buffer = [];
      this.#unacked = this.#unacked.filter((m) => !m.settled);
    }
    this.#wake();
  }

  /** Ends the subscription without sending anything (the client closed or unsubscribed it). */
  end(error?: Error): void {
    if (this.#ended) return;
    if (error) this.#error = error;
    this.#finish();
  }

  #finish(): void {
    this.#ended = true;
    if (this.ackMode !== "auto") this.#buffer = [];
    this.#wake();
    if (this.#buffer.length === 0) this.#settleClosed();
  }

  #settleClosed(): void {
    if (this.#closed.settled) return;
    // After an overflow the count of dropped messages is final only once the broker stopped sending.
    if (this.#unsubscribed && !this.#confirmed) {
      this.#unsubscribed.then(() => this.#settleClosed());
      return;
    }
    if (this.#error) this.#closed.reject(this.#error);
    else this.#closed.resolve();
  }

  /** Unsubscribes: no more messages; unacked ones are redelivered by the broker. */
  async unsubscribe(): Promise<void> {
    if (this.#ended) return;
    this.#finish();
    await this.#host.unsubscribe(this);
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve();
  }

  /** The next message, or undefined once ended; throws the failure once the buffer is drained. */
  async take(): Promise<StompMessage | undefined> {
    for (;;) {
      const message = this.#buffer.shift();
      if (message) return message;
      if (this.#ended || this.#stopping) {
        this.#ended = true;
        if (this.#unsubscribed) await this.#unsubscribed;
        this.#settleClosed();
        if (this.#error) throw this.#error;
        return undefined;
      }
      await (this.#waiter ??= new Deferred<void>()).promise;
    }
  }

  /** One iteration at a time; leaving the loop early unsubscribes. */
  [Symbol.asyncIterator](): AsyncIterator<StompMessage> {
    if (this.#iterating) {
      throw new TypeError(`${this.destination}: this subscription is already being iterated`);
    }
    this.#iterating = true;
    return {
      next: async () => {
        const message = await this.take();
        return message ? { value: message, done: false } : { value: undefined, done: true };
      },
      return: async () => {
        this.#iterating = false;
        await this.unsubscribe();
        return { value: undefined, done: true };
      },
    };
  }

  /**
   * Runs `handler` over the messages, `concurrency` at a time, until the subscription ends. With
   * `client` acks one at a time: their ACK is cumulative, so acking a later message would also
   * settle an earlier one whose handler is still running (and may fail).
   */
  async pump(handler: StompMessageHandler, concurrency: number): Promise<void> {
    if (this.ackMode === "client") concurrency = 1;
    const running = new Set<Promise<void>>();
    for (;;) {
      let message: StompMessage | undefined;
      try {
        message = await this.take();
      } catch {
        break;
      }
      if (!message) break;
      const work = this.#handle(handler, message).finally(() => running.delete(work));
      running.add(work);
      this.#host.track(work);
      if (running.size >= concurrency) await Promise.race(running);
    }
    await Promise.all(running);
  }

  async #handle(handler: StompMessageHandler, message: StompMessage): Promise<void> {
    try {
      await handler(message);
    } catch (error) {
      await this.#host.failed(this, message, error);
      return;
    }
    if (!message.settled) await message.ack().catch(() => {});
  }
}
