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
import { Deferred, type StompReceiptOptions } from "../connection/wait.ts";
import { markSettled, type StompAckCallOptions, StompMessage } from "./message.ts";
import { Fifo } from "./fifo.ts";
import type { StompMessageHandler, StompSubscribeOptions } from "./subscribe_options.ts";

// Moved to subscribe_options.ts; exported from here as before (core.ts re-exports them from this module).
export type {
  StompMessageFailedHandler,
  StompMessageHandler,
  StompSubscribeOptions,
} from "./subscribe_options.ts";

/**
 * What a subscription needs from its client. The client hands a private object of this shape to
 * each subscription it builds, so none of these calls is a member of the client users hold.
 * Internal: left out of the npm package's declarations.
 *
 * @internal
 * @example
 * ```ts ignore
 * const host: StompSubscriptionHost = {
 *   settle: (sub, message, kind, options) => client.settle(message, kind, options),
 *   unsubscribe: (sub, options) => client.sendUnsubscribe(sub, options),
 *   failed: (sub, message, error) => policies.apply(sub, message, error),
 *   track: (work) => inflight.add(work),
 *   stalled: (sub, error) => status.emit({ type: "error", error }),
 * };
 * ```
 */
export interface StompSubscriptionHost {
  /** Sends the ACK or NACK of a message. */
  settle(
    sub: StompAsyncSubscription,
    message: StompMessage,
    kind: "ack" | "nack",
    options: StompAckCallOptions,
  ): Promise<void>;
  /** Sends UNSUBSCRIBE (or forgets the subscription while not connected); with a receipt, waits for it. */
  unsubscribe(sub: StompAsyncSubscription, options: StompReceiptOptions): Promise<void>;
  /**
   * Applies the failed-handler policy; true when it handled the failure (the message is acked next
   * unless settled or `ack: false`), false when the client is disconnecting instead.
   */
  failed(sub: StompAsyncSubscription, message: StompMessage, error: unknown): Promise<boolean>;
  /** Tracks a handler's work so a graceful disconnect can wait for it. */
  track(work: Promise<unknown>): void;
  /** The window is full of unsettled messages and nothing that could settle them is running. */
  stalled(sub: StompAsyncSubscription, error: StompSlowConsumerError): void;
}

/**
 * The client's side of a subscription: what a MESSAGE, a lost connection or the end of the client
 * does to it. Users hold the {@link StompAsyncSubscription}, which has none of these.
 *
 * @internal
 * @example
 * ```ts ignore
 * const control = subscriptionControl(sub);
 * control.bind(token);
 * control.deliver(frame, generation);
 * ```
 */
export interface StompSubscriptionControl {
  /** Sets the token the session knows the subscription by. */
  bind(token: StompToken): void;
  /** Takes a MESSAGE from the client. */
  deliver(frame: StompFrame, generation: number): void;
  /** The connection was lost: what was not acked will be redelivered, so forget it. */
  connectionLost(): void;
  /** Stops taking messages (graceful disconnect): auto-ack messages already taken are still handed out. */
  stop(): void;
  /** Ends the subscription without sending anything (the client closed or unsubscribed it). */
  end(error?: Error): void;
  /**
   * The broker reported a delivery to this ended subscription that it could not make (RabbitMQ's
   * ERROR for a message that raced the UNSUBSCRIBE): with auto acks that message is lost.
   */
  lateDelivery(): void;
  /** Runs `handler` over the messages, `concurrency` at a time, until the subscription ends. */
  run(handler: StompMessageHandler, concurrency: number): Promise<void>;
}

let controlOf: (sub: StompAsyncSubscription) => StompSubscriptionControl;
let create: (
  host: StompSubscriptionHost,
  destination: string,
  ackMode: StompAckMode,
  options: StompSubscribeOptions,
) => StompAsyncSubscription;

/**
 * A new subscription (the constructor is private: only a client builds subscriptions, and hands
 * each its `host`).
 *
 * @internal
 * @example
 * ```ts ignore
 * const sub = openSubscription(host, "/queue/a", "client-individual", { window: 10 });
 * ```
 */
export function openSubscription(
  host: StompSubscriptionHost,
  destination: string,
  ackMode: StompAckMode,
  options: StompSubscribeOptions,
): StompAsyncSubscription {
  return create(host, destination, ackMode, options);
}

/**
 * The client's side of `sub` (see {@link StompSubscriptionControl}); for the client that built it.
 *
 * @internal
 * @example
 * ```ts ignore
 * subscriptionControl(sub).deliver(frame, generation);
 * ```
 */
export function subscriptionControl(sub: StompAsyncSubscription): StompSubscriptionControl {
  return controlOf(sub);
}

/**
 * A subscription of the async client. Iterate it (`for await (const msg of sub)`); leaving the
 * loop unsubscribes. Or pass a `handler` when subscribing. It never buffers without bound: with
 * client acks at most `window` messages are unacknowledged (the broker is told the same number);
 * with auto acks a full buffer fails the subscription with {@link StompSlowConsumerError}. It never
 * stalls silently either: a window full of unsettled messages with nothing running that could
 * settle them (every handler returned, or the loop asks for more) is a status `error` event.
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
  #token!: StompToken;
  #host: StompSubscriptionHost;
  /** Handlers: ack after the handler (stompest's `ack=True`), or leave it to the handler. */
  #ackAfterHandler: boolean;
  #buffer = new Fifo<StompMessage>();
  /** Delivered and not yet settled, in delivery order (a Set: settling one is O(1), not a scan). */
  #unacked = new Set<StompMessage>();
  #waiter?: Deferred<void>;
  #error?: Error;
  #ended = false;
  #stopping = false;
  #iterating = false;
  /** Handler calls running now (0 for an iterator: its loop body runs between takes). */
  #running = 0;
  /** The current stall was reported (reset once a message is settled). */
  #stallReported = false;
  #closed = new Deferred<void>();
  #dropped = 0;
  /** Set when the auto-ack buffer overflowed: what the StompSlowConsumerError says. */
  #overflow?: string;
  /** Settles once the broker confirmed the UNSUBSCRIBE after an overflow (or that wait failed). */
  #unsubscribed?: Promise<void>;
  #confirmed = false;
  #control: StompSubscriptionControl = {
    bind: (token) => this.#token = token,
    deliver: (frame, generation) => this.#deliver(frame, generation),
    connectionLost: () => this.#connectionLost(),
    stop: () => this.#stop(),
    end: (error) => this.#end(error),
    lateDelivery: () => this.#lateDelivery(),
    run: (handler, concurrency) => this.#pump(handler, concurrency),
  };

  static {
    controlOf = (sub) => sub.#control;
    create = (host, destination, ackMode, options) =>
      new StompAsyncSubscription(host, destination, ackMode, options);
  }

  /** Built by the client's `subscribe`. */
  private constructor(
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
    this.#ackAfterHandler = options.ack !== false;
    this.#closed.promise.catch(() => {});
  }

  /** Identifies the subscription in the session (kept across reconnects); what `client.unsubscribe` takes. */
  get token(): StompToken {
    return this.#token;
  }

  /**
   * Settles when the subscription ends: resolves when it was unsubscribed or the client closed
   * cleanly, rejects with the reason it failed (at once, while messages it buffered are still
   * readable from the iterator).
   */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /** True once the subscription ended (unsubscribed, failed, or the client closed). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Messages delivered and not yet acked (client acks), for tests and monitoring. */
  get unacked(): number {
    return this.#unacked.size;
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
  #deliver(frame: StompFrame, generation: number): void {
    const auto = this.ackMode === "auto";
    if (this.#ended || this.#stopping) {
      if (auto) this.#dropped++;
      return;
    }
    const message = new StompMessage(frame, generation, this.#owner, auto);
    if (auto) {
      if (this.#buffer.length >= this.bufferSize) {
        this.#dropped++;
        return this.#overflowed(
          `${this.destination}: ${this.bufferSize} messages buffered and not taken (auto ack): slow consumer`,
        );
      }
    } else {
      this.#unacked.add(message);
      // The broker was told `window`; allow slack for brokers that count differently, never unbounded.
      if (this.#unacked.size > 2 * this.window) {
        return this.#fail(
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
  #lateDelivery(): void {
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
    this.#unsubscribed = this.#host.unsubscribe(this, { receipt: true }).catch(() => {}).finally(() => {
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

  #connectionLost(): void {
    if (this.ackMode === "auto") return;
    this.#unacked.clear();
    this.#buffer.clear();
    this.#stallReported = false;
  }

  /** Where the messages of this subscription send their ACK/NACK. */
  #owner = {
    settle: (message: StompMessage, kind: "ack" | "nack", options: StompAckCallOptions): Promise<void> => {
      const unacked = this.#unacked;
      if (unacked.has(message) && this.ackMode === "client" && kind === "ack") {
        // A cumulative `client` ACK settles every earlier message too.
        for (const earlier of unacked) {
          unacked.delete(earlier);
          if (earlier === message) break;
          markSettled(earlier);
        }
      } else {
        unacked.delete(message);
      }
      if (unacked.size < this.window) this.#stallReported = false;
      return this.#host.settle(this, message, kind, options);
    },
  };

  /** Ends the subscription with an error: iterators throw it after the buffered auto-ack messages. */
  #fail(error: Error): void {
    if (this.#ended) return;
    this.#error = error;
    this.#finish();
    this.#host.unsubscribe(this, {}).catch(() => {});
  }

  #stop(): void {
    this.#stopping = true;
    if (this.ackMode !== "auto") {
      this.#buffer.clear();
      for (const m of this.#unacked) if (m.settled) this.#unacked.delete(m);
    }
    this.#wake();
  }

  #end(error?: Error): void {
    if (this.#ended) return;
    if (error) this.#error = error;
    this.#finish();
  }

  #finish(): void {
    this.#ended = true;
    if (this.ackMode !== "auto") this.#buffer.clear();
    this.#wake();
    // Settled now, not when the buffer is drained: whoever awaits `closed` is not reading.
    this.#settleClosed();
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

  /**
   * Unsubscribes: no more messages (a loop over the subscription ends); unacked ones are
   * redelivered by the broker. With `receipt`, resolves once the broker confirmed the UNSUBSCRIBE.
   */
  async unsubscribe(options: StompReceiptOptions = {}): Promise<void> {
    if (this.#ended) return;
    this.#finish();
    await this.#host.unsubscribe(this, options);
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve();
  }

  /** Reports a stall once: a full window that nothing running could settle. */
  #checkStall(): void {
    if (
      this.#stallReported || this.ackMode === "auto" || this.#running > 0 || this.#buffer.length > 0 ||
      this.#ended || this.#stopping || this.#unacked.size < this.window
    ) return;
    this.#stallReported = true;
    const who = this.#iterating ? "taken from the iterator" : "whose handlers returned";
    this.#host.stalled(
      this,
      new StompSlowConsumerError(
        `${this.destination}: ${this.#unacked.size} unsettled messages ${who} fill the window ` +
          `(${this.window}): no more come until they are acked or nacked`,
      ),
    );
  }

  /** The next message, or undefined once ended; throws the failure once the buffer is drained. */
  async #take(): Promise<StompMessage | undefined> {
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
      this.#checkStall();
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
      next: () => {
        // A buffered message is handed out without the async hops of #take(): one per message.
        const buffered = this.#buffer.shift();
        if (buffered) return Promise.resolve({ value: buffered, done: false });
        return this.#take().then((message) =>
          message ? { value: message, done: false } : { value: undefined, done: true }
        );
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
  async #pump(handler: StompMessageHandler, concurrency: number): Promise<void> {
    if (this.ackMode === "client") concurrency = 1;
    const running = new Set<Promise<void>>();
    for (;;) {
      let message: StompMessage | undefined;
      try {
        message = await this.#take();
      } catch {
        break;
      }
      if (!message) break;
      this.#running++;
      const work = this.#handle(handler, message).finally(() => {
        running.delete(work);
        this.#running--;
        this.#checkStall();
      });
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
      // The policy either handled the failure (then the message is acked like a success) or is
      // disconnecting (then it stays unacked and comes back).
      if (!await this.#host.failed(this, message, error)) return;
    }
    // Queued, not awaited: the ACK is in the writer ahead of anything written later (a DISCONNECT
    // too), and the next handler need not wait for a socket write, so the ACKs of a burst share one.
    if (this.#ackAfterHandler && !message.settled) message.ack().catch(() => {});
  }
}
