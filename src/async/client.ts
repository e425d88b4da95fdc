/**
 * {@link AsyncStomp}: the async client. Subscriptions are async iterables (or run handlers),
 * receipts are promises, heart-beats run by themselves, and an unexpected loss of the connection
 * is followed by failover, reconnect and subscription replay.
 *
 * @module
 */

import type { StompChannel } from "../channel.ts";
import * as commands from "../commands.ts";
import { StompConfig, type StompConfigOptions } from "../config.ts";
import { establish, type StompClientConnectOptions } from "../connect.ts";
import {
  StompCancelledError,
  StompConnectionError,
  StompConnectTimeout,
  StompError,
  StompProtocolError,
} from "../errors.ts";
import { StompFailoverTransport } from "../failover.ts";
import { type StompBody, StompFrame, type StompHeadersInit, type StompHeartBeat } from "../frame.ts";
import { withContentLength } from "../send_headers.ts";
import { StompSession } from "../session.ts";
import { RESERVED_MESSAGE_HEADERS, SPEC, type StompAckMode } from "../spec.ts";
import { deadline, Deferred } from "../wait.ts";
import {
  DEFAULT_HEART_BEAT_FACTORS,
  HeartBeater,
  type StompHeartBeatFactors,
  type StompTicker,
} from "./heartbeat.ts";
import type { StompAckCallOptions, StompMessage } from "./message.ts";
import { defaultTicker } from "./worker_ticker.ts";
import { StatusHub, type StompStatusEvent } from "./status.ts";
import { StompAsyncSubscription, type StompSubscribeOptions } from "./subscription.ts";

/**
 * What the async client adds to {@link StompConfigOptions}.
 *
 * @example
 * ```ts
 * import type { AsyncStompOptions } from "./client.ts";
 * const options: AsyncStompOptions = { reconnect: true, receiptTimeout: 5000, heartBeatFactors: { send: 0.8, receive: 3 } };
 * ```
 */
export interface AsyncStompOptions {
  /** Reconnect (walking the failover URI) after an unexpected loss. Default true. */
  readonly reconnect?: boolean;
  /** Milliseconds to wait for a RECEIPT when the call gives no timeout. Default 10,000. */
  readonly receiptTimeout?: number;
  /** Heart-beat slack factors (default send 0.8, receive 3: why 3 is told in heartbeat.ts). */
  readonly heartBeatFactors?: StompHeartBeatFactors;
  /** Timers for heart-beats (default `defaultTicker()`: a Worker in browser pages, so background tabs keep beating). */
  readonly ticker?: StompTicker;
}

/**
 * Options of calls that may wait for a RECEIPT.
 *
 * @example
 * ```ts
 * import type { StompReceiptOptions } from "./client.ts";
 * const options: StompReceiptOptions = { receipt: true, timeout: 2000 };
 * ```
 */
export interface StompReceiptOptions {
  /** Ask for a RECEIPT and wait for it (`true` generates an id). */
  readonly receipt?: boolean | string;
  /** Milliseconds to wait for the receipt. */
  readonly timeout?: number;
  /** Aborts the wait for the receipt. */
  readonly signal?: AbortSignal;
}

const ASYNC_KEYS = ["reconnect", "receiptTimeout", "heartBeatFactors", "ticker"] as const;
type State = "idle" | "connecting" | "connected" | "reconnecting" | "disconnecting" | "closed";

function receiptId(receipt: boolean | string | undefined, prefix: string): string | undefined {
  if (receipt === undefined || receipt === false) return undefined;
  return receipt === true ? `${prefix}-${crypto.randomUUID()}` : receipt;
}

/**
 * The async STOMP client.
 *
 * @example
 * ```ts ignore
 * import { AsyncStomp } from "./client.ts";
 * await using client = new AsyncStomp("failover:(tcp://127.0.0.1:61613)", { login: "guest", passcode: "guest" });
 * await client.connect();
 * const sub = await client.subscribe("/queue/work", { ack: "client-individual" });
 * await client.send("/queue/work", JSON.stringify({ n: 1 }), {}, { receipt: true });
 * for await (const msg of sub) {
 *   console.log(msg.json());
 *   await msg.ack();
 *   break; // leaving the loop unsubscribes
 * }
 * await client.disconnect();
 * ```
 */
export class AsyncStomp {
  /** What this client connects with. */
  readonly config: StompConfig;
  /** The protocol state. */
  readonly session: StompSession<StompAsyncSubscription>;
  #options: Required<Omit<AsyncStompOptions, "ticker">> & { ticker: StompTicker };
  #transport: StompFailoverTransport;
  #state: State = "idle";
  #channel?: StompChannel;
  #generation = 0;
  #attempt = 0;
  #connectOptions: StompClientConnectOptions = {};
  #receipts = new Map<string, Deferred<void>>();
  #status = new StatusHub();
  #disconnected = new Deferred<void>();
  #beater?: HeartBeater;
  #inflight = new Set<Promise<unknown>>();
  #lossReason?: StompConnectionError;
  #channelClosed?: Deferred<void>;
  #abort = new AbortController();
  /** Every live subscription, reachable whether or not a connection is open. */
  #subs = new Set<StompAsyncSubscription>();
  /** The handler policies (errorDestination, onMessageFailed) of handler subscriptions. */
  #policies = new WeakMap<StompAsyncSubscription, StompSubscribeOptions>();

  /** A client for `config`, or for a URI plus options. Nothing connects until {@link AsyncStomp.connect}. */
  constructor(config: StompConfig | string, options: StompConfigOptions & AsyncStompOptions = {}) {
    const configOptions: Record<string, unknown> = { ...options };
    for (const key of ASYNC_KEYS) delete configOptions[key];
    this.config = config instanceof StompConfig ? config : new StompConfig(config, configOptions);
    this.session = new StompSession({ version: this.config.version, check: this.config.check });
    this.#transport = new StompFailoverTransport(this.config.uri);
    this.#options = {
      reconnect: options.reconnect ?? true,
      receiptTimeout: options.receiptTimeout ?? 10_000,
      heartBeatFactors: options.heartBeatFactors ?? DEFAULT_HEART_BEAT_FACTORS,
      ticker: options.ticker ?? defaultTicker(),
    };
    this.#disconnected.resolve();
  }

  /** True while connected. */
  get connected(): boolean {
    return this.#state === "connected";
  }

  /**
   * Resolves on a clean disconnect; rejects with why the client stopped: connection lost (and not
   * regained), an ERROR frame ({@link StompProtocolError} with `frame`), a handler failure.
   */
  get disconnected(): Promise<void> {
    return this.#disconnected.promise;
  }

  /** Status events from now on, as an async iterable (ends when the client closes or `signal` aborts). */
  status(signal?: AbortSignal): AsyncIterableIterator<StompStatusEvent> {
    return this.#status.listen(signal);
  }

  /**
   * Connects, walking the failover sequence. Resolves with the CONNECTED frame.
   */
  async connect(options: StompClientConnectOptions = {}): Promise<StompFrame> {
    if (this.#state !== "idle" && this.#state !== "closed") {
      throw new StompConnectionError(`cannot connect: the client is ${this.#state}`);
    }
    this.#state = "connecting";
    this.#disconnected = new Deferred<void>();
    this.#disconnected.promise.catch(() => {});
    this.#abort = new AbortController();
    const { signal: _signal, ...rest } = options;
    this.#connectOptions = rest;
    try {
      return await this.#open(options);
    } catch (error) {
      this.#state = "closed";
      this.session.close({ flush: true });
      this.#disconnected.reject(error);
      throw error;
    }
  }

  async #open(options: StompClientConnectOptions): Promise<StompFrame> {
    const attempt = ++this.#attempt;
    const channelClosed = new Deferred<void>();
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.#abort.signal])
      : this.#abort.signal;
    const reconnecting = this.#state === "reconnecting";
    const { channel, connected, broker } = await establish(
      this.config,
      this.#transport,
      this.session,
      { ...options, signal },
      {
        frame: (frame) => this.#onFrame(frame),
        alive: () => this.session.received(),
        frameError: (error) =>
          this.#lose(new StompConnectionError("bad frame from the broker", { cause: error })),
        closed: (error) => {
          channelClosed.resolve();
          if (attempt === this.#attempt) this.#onClosed(error);
        },
      },
      (channel) => this.#replay(channel),
      {
        attempt: (broker, delay, n) =>
          this.#status.emit(
            reconnecting
              ? { type: "reconnecting", broker, attempt: n, delay }
              : { type: "connecting", broker, attempt: n },
          ),
        failed: (_broker, error) =>
          this.#status.emit({
            type: "error",
            error: error instanceof Error ? error : new Error(String(error)),
          }),
      },
    );
    this.#transport.connected();
    this.#channel = channel;
    this.#channelClosed = channelClosed;
    this.#generation++;
    this.#state = "connected";
    this.#lossReason = undefined;
    this.#startHeartBeats();
    this.#status.emit({ type: "connected", broker, version: this.session.version });
    if (channelClosed.settled) this.#onClosed(); // lost during the replay
    return connected;
  }

  async #replay(channel: StompChannel): Promise<void> {
    for (const sub of this.session.replay()) {
      if (sub.context.ended) continue;
      const { frame } = this.session.subscribe(sub.destination, sub.headers, { context: sub.context });
      await channel.send(frame);
    }
  }

  #startHeartBeats(): void {
    this.#beater?.stop();
    const session = this.session;
    this.#beater = new HeartBeater({
      clientPeriod: session.clientHeartBeat,
      serverPeriod: session.serverHeartBeat,
      factors: this.#options.heartBeatFactors,
      now: Date.now,
      lastSent: () => session.lastSent,
      lastReceived: () => session.lastReceived,
      beat: () => {
        this.#sendNow(session.beat()).catch(() => {});
      },
      dead: (silence) => {
        this.#status.emit({ type: "heartbeat-timeout", silence });
        this.#lose(new StompConnectionError(`heart-beat timeout: nothing from the broker for ${silence} ms`));
      },
      ticker: this.#options.ticker,
    });
    this.#beater.start();
  }

  #onFrame(frame: StompFrame): void {
    try {
      switch (frame.command) {
        case "MESSAGE": {
          const token = commands.message(frame, this.session.version);
          const sub = this.session.subscription(token)?.context;
          // A MESSAGE for a subscription that just ended: unacked, so the broker redelivers it.
          sub?.deliver(frame, this.#generation);
          return;
        }
        case "RECEIPT": {
          const id = this.session.receipt(frame);
          const waiter = this.#receipts.get(id);
          this.#receipts.delete(id);
          waiter?.resolve();
          return;
        }
        case "ERROR": {
          const error = this.session.error(frame);
          const id = frame.headers["receipt-id"];
          if (id !== undefined) this.#receipts.get(id)?.reject(error);
          this.#finalize(error);
          return;
        }
        default:
          throw new StompProtocolError(`unexpected frame from the broker: ${frame.info()}`);
      }
    } catch (error) {
      this.#status.emit({ type: "error", error: error as Error });
    }
  }

  /** Drops the connection because of `reason`; reconnecting follows (see #onClosed). */
  #lose(reason: StompConnectionError): void {
    if (this.#state !== "connected") return;
    this.#lossReason = reason;
    this.#channel?.close();
  }

  #onClosed(error?: StompConnectionError): void {
    if (this.#state !== "connected") return;
    const reason = this.#lossReason ?? error ?? new StompConnectionError("the broker closed the connection");
    this.#beater?.stop();
    this.#channel = undefined;
    this.session.close({ flush: false });
    this.#rejectReceipts(reason);
    for (const sub of this.#subs) sub.connectionLost();
    this.#status.emit({ type: "disconnected", error: reason });
    if (!this.#options.reconnect) return this.#finalize(reason);
    this.#state = "reconnecting";
    this.#open(this.#connectOptions).catch((e) => this.#reconnectFailed(e));
  }

  #reconnectFailed(error: unknown): void {
    if (this.#state !== "reconnecting") return;
    // Out of attempts, refused by the broker, or closed meanwhile: give up. A black hole
    // (CONNECTED never came) or a broker that hung up mid-handshake: start a new sequence.
    const final = error instanceof StompProtocolError || error instanceof StompCancelledError ||
      (error instanceof StompConnectTimeout && error.attempts !== undefined) ||
      !(error instanceof StompError);
    if (final) return this.#finalize(error as Error);
    this.#status.emit({ type: "error", error: error as Error });
    this.#open(this.#connectOptions).catch((e) => this.#reconnectFailed(e));
  }

  #rejectReceipts(error: Error): void {
    for (const waiter of this.#receipts.values()) waiter.reject(error);
    this.#receipts.clear();
  }

  /** Ends the client: no reconnect; `disconnected` settles with `error` (resolves when none). */
  #finalize(error?: Error): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#abort.abort(error ?? new StompConnectionError("client closed"));
    this.#beater?.stop();
    const channel = this.#channel;
    this.#channel = undefined;
    channel?.close();
    this.session.close({ flush: true });
    this.#rejectReceipts(error ?? new StompConnectionError("client closed"));
    for (const sub of this.#subs) sub.end(error);
    this.#subs.clear();
    this.#status.emit({ type: "disconnected", error });
    if (error) this.#disconnected.reject(error);
    else this.#disconnected.resolve();
  }

  #channelOrThrow(): StompChannel {
    if (this.#channel && this.#state !== "closed") return this.#channel;
    throw new StompConnectionError(
      this.#state === "reconnecting" ? "not connected (reconnecting)" : "not connected",
      { cause: this.#lossReason },
    );
  }

  async #sendNow(frame: StompFrame | StompHeartBeat): Promise<void> {
    const channel = this.#channelOrThrow();
    try {
      await channel.send(frame);
    } catch (error) {
      throw error instanceof StompConnectionError
        ? error
        : new StompConnectionError("write failed", { cause: error });
    }
    this.session.sent();
  }

  /** Writes `frame`; with a receipt id, resolves when its RECEIPT arrives. */
  async #write(frame: StompFrame, receipt: string | undefined, options: StompReceiptOptions): Promise<void> {
    if (receipt === undefined) return this.#sendNow(frame);
    const waiter = new Deferred<void>();
    this.#receipts.set(receipt, waiter);
    try {
      await this.#sendNow(frame);
    } catch (error) {
      this.#receipts.delete(receipt);
      throw error;
    }
    await deadline(
      waiter.promise,
      { timeout: options.timeout ?? this.#options.receiptTimeout, signal: options.signal },
      `RECEIPT ${receipt}`,
      () => this.#receipts.delete(receipt),
    );
  }

  /**
   * Sends a message; with `receipt`, resolves once the broker confirmed it. `content-length` is
   * added for you; `"content-length": false` in the headers leaves it out. Inside a transaction
   * do not wait for a receipt before committing: RabbitMQ answers it only at COMMIT (and never
   * after ABORT).
   */
  async send(
    destination: string,
    body?: StompBody,
    headers?: StompHeadersInit,
    options: StompReceiptOptions = {},
  ): Promise<void> {
    this.#channelOrThrow();
    const receipt = receiptId(options.receipt, "send");
    const { headers: h, transaction } = withContentLength(body, headers);
    await this.#write(this.session.send(destination, body, h, { receipt, transaction }), receipt, options);
  }

  /**
   * Subscribes. Without a `handler`, iterate the returned subscription; with one, messages are
   * handed to it (acked after it resolves with client acks). With client acks the broker is told
   * the window as its prefetch (`prefetch-count`, `activemq.prefetchSize`) unless headers set one.
   */
  async subscribe(
    destination: string,
    headers: Readonly<Record<string, string | number | boolean | undefined>> = {},
    options: StompSubscribeOptions = {},
  ): Promise<StompAsyncSubscription> {
    this.#channelOrThrow();
    const ack =
      (headers.ack ?? options.ack ?? (options.handler ? this.#individualAck() : "auto")) as StompAckMode;
    const given = headers["prefetch-count"] ?? headers["activemq.prefetchSize"];
    const window = options.window ?? (given === undefined ? 100 : Number(given));
    const h: Record<string, string | number | boolean | undefined> = { ...headers, ack };
    if (ack !== "auto" && given === undefined) {
      h["prefetch-count"] = window;
      h["activemq.prefetchSize"] = window;
    }
    const sub = new StompAsyncSubscription(this, destination, ack, { ...options, window });
    const receipt = receiptId(options.receipt, "subscribe");
    const { frame, token } = this.session.subscribe(destination, h, { receipt, context: sub });
    sub.token = token;
    this.#subs.add(sub);
    try {
      await this.#write(frame, receipt, options);
    } catch (error) {
      this.#subs.delete(sub);
      this.session.forget(token);
      sub.end(error as Error);
      throw error;
    }
    options.signal?.addEventListener("abort", () => sub.unsubscribe().catch(() => {}), { once: true });
    if (options.handler) this.track(sub.pump(options.handler, Math.max(1, options.concurrency ?? 1)));
    if (options.handler) this.#policies.set(sub, options);
    return sub;
  }
  /** A handler's default: ack each message on its own; in 1.0, which lacks that mode, `client`. */
  #individualAck(): StompAckMode {
    return SPEC[this.session.version].ackModes.has("client-individual") ? "client-individual" : "client";
  }

  /** @internal Called by a subscription when it ends. */
  async unsubscribe(sub: StompAsyncSubscription): Promise<void> {
    this.#subs.delete(sub);
    if (!this.session.subscription(sub.token)) return;
    if (this.#state === "connected") {
      await this.#sendNow(this.session.unsubscribe(sub.token));
    } else {
      this.session.forget(sub.token);
    }
  }

  /** @internal Called by a message's ack()/nack(). */
  async settle(
    _sub: StompAsyncSubscription,
    message: StompMessage,
    kind: "ack" | "nack",
    options: StompAckCallOptions,
  ): Promise<void> {
    // Delivered on a connection that is gone: the broker redelivers it, so there is nothing to settle.
    // While disconnecting gracefully the handlers still finishing must be able to ack.
    if (
      message.generation !== this.#generation ||
      (this.#state !== "connected" && this.#state !== "disconnecting")
    ) {
      return;
    }
    await this.#settleFrame(kind, message.frame, options);
  }

  async #settleFrame(kind: "ack" | "nack", message: StompFrame, options: StompAckCallOptions): Promise<void> {
    const reserved = Object.keys(SPEC[this.session.version].ackHeaders);
    for (const name of Object.keys(options.headers ?? {})) {
      if (reserved.includes(name) || name === "receipt" || name === "transaction") {
        throw new TypeError(`${kind}: header ${JSON.stringify(name)} cannot be given in headers`);
      }
    }
    const receipt = receiptId(options.receipt, kind);
    const frame = this.session[kind](message, { receipt, transaction: options.transaction });
    await this.#write(withExtraHeaders(frame, options.headers), receipt, options);
  }

  /** @internal Applies the failed-handler policy. */
  async failed(sub: StompAsyncSubscription, message: StompMessage, error: unknown): Promise<void> {
    const policy = this.#policies.get(sub) ?? {};
    try {
      if (policy.onMessageFailed) {
        await policy.onMessageFailed(error, message);
      } else if (policy.errorDestination) {
        await this.send(policy.errorDestination, message.body, failedCopy(message, error), { receipt: true });
        await message.ack();
      } else {
        throw error;
      }
    } catch (failure) {
      // Not acked: the broker redelivers the message on the next connection.
      this.disconnect({ reason: failure instanceof Error ? failure : new Error(String(failure)) }).catch(
        () => {},
      );
    }
  }

  /** @internal Tracks a handler's work so a graceful disconnect can wait for it. */
  track(work: Promise<unknown>): void {
    this.#inflight.add(work);
    work.catch(() => {}).finally(() => this.#inflight.delete(work));
  }

  /** Acknowledges a message (or a raw MESSAGE frame of this connection). */
  async ack(message: StompMessage | StompFrame, options: StompAckCallOptions = {}): Promise<void> {
    if ("frame" in message) return message.ack(options);
    await this.#settleFrame("ack", message, options);
  }

  /** Rejects a message (STOMP 1.1+). */
  async nack(message: StompMessage | StompFrame, options: StompAckCallOptions = {}): Promise<void> {
    if ("frame" in message) return message.nack(options);
    await this.#settleFrame("nack", message, options);
  }

  /** Begins a transaction; resolves with its id. */
  async begin(transaction?: string, options: StompReceiptOptions = {}): Promise<string> {
    this.#channelOrThrow();
    const receipt = receiptId(options.receipt, "begin");
    const frame = this.session.begin(transaction, receipt);
    await this.#write(frame, receipt, options);
    return frame.headers.transaction;
  }

  /** Commits a transaction. */
  async commit(transaction: string, options: StompReceiptOptions = {}): Promise<void> {
    const receipt = receiptId(options.receipt, "commit");
    await this.#write(this.session.commit(transaction, receipt), receipt, options);
  }

  /** Aborts a transaction. */
  async abort(transaction: string, options: StompReceiptOptions = {}): Promise<void> {
    const receipt = receiptId(options.receipt, "abort");
    await this.#write(this.session.abort(transaction, receipt), receipt, options);
  }

  /**
   * Runs `fn` in a transaction: BEGIN, then COMMIT when it resolves, or ABORT and rethrow.
   * With `receipt: true` each of BEGIN/COMMIT/ABORT waits for its RECEIPT.
   */
  async transaction<T>(
    fn: (transaction: string) => Promise<T> | T,
    { id, ...options }: { id?: string } & StompReceiptOptions = {},
  ): Promise<T> {
    const transaction = await this.begin(id, options);
    let result: T;
    try {
      result = await fn(transaction);
    } catch (error) {
      if (this.#state === "connected") await this.abort(transaction, options);
      throw error;
    }
    await this.commit(transaction, options);
    return result;
  }

  /**
   * Disconnects gracefully: stop taking messages, wait for in-flight handlers (at most `timeout`
   * ms, else {@link StompCancelledError} and the connection is closed), DISCONNECT with a receipt
   * (`receipt: false` skips it), wait for it, close.
   */
  async disconnect(
    { timeout, receipt = true, signal, reason }:
      & { receipt?: boolean | string; reason?: Error }
      & StompReceiptOptions = {},
  ): Promise<void> {
    if (this.#state === "reconnecting" || this.#state === "connecting") {
      return this.#finalize(reason);
    }
    if (this.#state !== "connected") return;
    this.#state = "disconnecting";
    const wait = { timeout: timeout ?? this.#options.receiptTimeout, signal };
    for (const sub of this.#subs) sub.stop();
    try {
      await deadline(Promise.allSettled([...this.#inflight]), wait, "waiting for message handlers");
      const channel = this.#channel!;
      const id = receiptId(receipt, "disconnect");
      const frame = this.session.disconnect(id);
      const confirmed = id === undefined ? undefined : new Deferred<void>();
      if (id !== undefined) this.#receipts.set(id, confirmed!);
      await channel.send(frame);
      this.session.sent();
      // RabbitMQ's Web-STOMP closes the WebSocket (1000) instead of sending the RECEIPT.
      if (confirmed) {
        await deadline(
          Promise.race([confirmed.promise, this.#channelClosed!.promise]),
          wait,
          "DISCONNECT receipt",
        );
      }
    } catch (error) {
      this.#finalize(error as Error);
      throw error;
    }
    this.#finalize(reason);
  }

  /** Closes at once: no DISCONNECT, no waiting; `disconnected` resolves. */
  close(): Promise<void> {
    this.#finalize();
    this.#status.end();
    return Promise.resolve();
  }

  /** `await using client = ...`: a graceful disconnect when connected, then close. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.disconnect();
    } catch {
      // Disposal must not throw; `disconnected` carries the reason.
    }
    await this.close();
  }
}

/** `frame` plus `extra` headers (checked by the caller not to clash with the frame's own). */
function withExtraHeaders(
  frame: StompFrame,
  extra: Readonly<Record<string, string>> | undefined,
): StompFrame {
  if (extra === undefined) return frame;
  return new StompFrame(
    frame.command,
    [...frame.rawHeaders, ...Object.entries(extra)],
    undefined,
    frame.version,
  );
}

/** The copy of a failed message for an error destination: broker headers dropped, the error added. */
function failedCopy(message: StompMessage, error: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of message.frame.rawHeaders) {
    if (!RESERVED_MESSAGE_HEADERS.has(name) && headers[name] === undefined) headers[name] = value;
  }
  headers.persistent = "true";
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // One line and bounded, so it can be written in every version (1.0 cannot escape a line feed).
  headers["message-failed"] = text.replace(/[\r\n\0]+/g, " ").slice(0, 1000);
  return headers;
}

/**
 * Creates an {@link AsyncStomp} and connects it.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./client.ts";
 * const client = await connect("tcp://127.0.0.1:61613", { login: "guest", passcode: "guest" });
 * ```
 */
export async function connect(
  uri: string | StompConfig,
  options: StompConfigOptions & AsyncStompOptions & StompClientConnectOptions = {},
): Promise<AsyncStomp> {
  const { headers, versions, host, heartBeats, connectTimeout, connectedTimeout, signal, ...rest } = options;
  const client = typeof uri === "string"
    ? new AsyncStomp(uri, { ...rest, headers, versions, host, heartBeats, connectTimeout, connectedTimeout })
    : new AsyncStomp(uri, rest);
  await client.connect({ signal });
  return client;
}
