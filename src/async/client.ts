/**
 * {@link AsyncStomp}: the async client. Subscriptions are async iterables (or run handlers),
 * receipts are promises, heart-beats run by themselves, and an unexpected loss of the connection
 * is followed by failover, reconnect and subscription replay.
 *
 * This file holds the calls; the connection lifecycle (connect, heart-beats, reconnect) is in
 * lifecycle.ts, pending receipts in receipts.ts, ack modes and ACK/NACK frames in acks.ts, the
 * failed-handler policy in failure_policy.ts, the options and their defaults in options.ts.
 *
 * @module
 */

import * as commands from "../protocol/commands.ts";
import { StompConfig, type StompConfigOptions } from "../connection/config.ts";
import type { StompClientConnectOptions } from "../connection/connect.ts";
import type { StompTlsInfo } from "../connection/tls_info.ts";
import { StompConnectionError, StompTransactionLostError } from "../errors.ts";
import { brokerQuirks, closeConfirmsDisconnect } from "../protocol/broker_quirks.ts";
import type { StompFrameTooLargeError } from "../protocol/frame_too_large.ts";
import { StompProtocolError } from "../protocol/protocol_error.ts";
import { StompFailoverTransport } from "../protocol/failover.ts";
import type { StompToken } from "../protocol/commands.ts";
import type { StompBody, StompFrame, StompHeadersInit } from "../protocol/frame.ts";
import { withContentLength } from "../protocol/send_headers.ts";
import { StompSession } from "../protocol/session.ts";
import { deadline, type StompWaitOptions } from "../connection/wait.ts";
import { settleFrame, subscribeHeaders } from "./acks.ts";
import { FailurePolicies } from "./failure_policy.ts";
import { ConnectionGate } from "./gate.ts";
import { PublishOutbox } from "./outbox.ts";
import { withPublishId } from "../protocol/publish_headers.ts";
import { OpenTransactions } from "./transactions.ts";
import { ClientLifecycle } from "./lifecycle.ts";
import type { StompAckCallOptions, StompMessage } from "./message.ts";
import {
  type AsyncStompOptions,
  configOptionsOf,
  resolveAsyncOptions,
  type ResolvedAsyncStompOptions,
  type StompReceiptOptions,
  type StompSendCallOptions,
} from "./options.ts";
import { PendingReceipts, receiptId } from "./receipts.ts";
import { StatusHub, type StompClientState, type StompStatusEvent } from "./status.ts";
import {
  openSubscription,
  type StompAsyncSubscription,
  type StompSubscribeOptions,
  type StompSubscriptionHost,
  subscriptionControl,
} from "./subscription.ts";

// Moved to options.ts; exported from here as before (core.ts re-exports them from this module).
export type { AsyncStompOptions, StompReceiptOptions } from "./options.ts";
export type { StompOutboxLimits, StompSendCallOptions } from "./options.ts";

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
  #options: ResolvedAsyncStompOptions;
  #lifecycle: ClientLifecycle;
  #receipts = new PendingReceipts();
  #status = new StatusHub();
  #inflight = new Set<Promise<unknown>>();
  /** Every live subscription, reachable whether or not a connection is open. */
  #subs = new Set<StompAsyncSubscription>();
  /** The handler policies (errorDestination, onMessageFailed) of handler subscriptions. */
  #failures = new FailurePolicies(this);
  /** What subscriptions call back: private, so none of it is a member of the client users hold. */
  #host: StompSubscriptionHost = {
    settle: (_sub, message, kind, options) => this.#settle(message, kind, options),
    unsubscribe: (sub, options) => this.#unsubscribe(sub, options),
    failed: (sub, message, error) => this.#failures.apply(sub, message, error),
    track: (work) => this.#track(work),
    stalled: (_sub, error) => this.#status.emit({ type: "error", error }),
  };
  /** Calls waiting for the next connection. */
  #gate: ConnectionGate;
  /** Receipted sends until confirmed (resent after a loss), sends waiting for a connection. */
  #outbox: PublishOutbox;
  #transactions = new OpenTransactions();

  /** A client for `config`, or for a URI plus options. Nothing connects until {@link AsyncStomp.connect}. */
  constructor(config: StompConfig | string, options: StompConfigOptions & AsyncStompOptions = {}) {
    this.config = config instanceof StompConfig ? config : new StompConfig(config, configOptionsOf(options));
    this.session = new StompSession({ version: this.config.version, check: this.config.check });
    const transport = new StompFailoverTransport(this.config.uri);
    this.#options = resolveAsyncOptions(options);
    const gateState = () => {
      const lifecycle = this.#lifecycle;
      if (lifecycle.channel && lifecycle.state !== "closed") return "open";
      return lifecycle.state === "reconnecting" && this.#options.whileReconnecting === "wait"
        ? "wait"
        : "fail";
    };
    this.#gate = new ConnectionGate(
      gateState,
      () => this.#lifecycle.notConnected(),
      this.#options.reconnectWait,
    );
    this.#outbox = new PublishOutbox({
      gate: this.#gate,
      receiptTimeout: this.#options.receiptTimeout,
      write: (destination, body, headers, receipt, transaction) => {
        this.#transactions.check(transaction);
        return this.#lifecycle.send(this.session.send(destination, body, headers, { receipt, transaction }));
      },
    }, this.#options.outbox);
    this.#lifecycle = new ClientLifecycle(this.config, this.session, transport, this.#options, this.#status, {
      frame: (frame) => this.#onFrame(frame),
      lost: (reason) => {
        this.#receipts.rejectAll(reason);
        this.#outbox.lost(reason);
        this.#transactions.connectionLost(reason);
        for (const sub of this.#subs) subscriptionControl(sub).connectionLost();
      },
      opened: () => {
        // Unconfirmed sends first, then the calls that waited, each in call order.
        this.#outbox.resend();
        this.#gate.open();
      },
      ended: (error) => {
        const reason = error ?? new StompConnectionError("client closed");
        this.#receipts.rejectAll(reason);
        this.#outbox.close(reason);
        this.#gate.close(reason);
        for (const sub of this.#subs) subscriptionControl(sub).end(error);
        this.#subs.clear();
      },
      tooLarge: (error) => this.#tooLarge(error),
    });
  }

  /**
   * A MESSAGE whose body broke a parser limit: NACKed (final, where the broker would requeue it)
   * with `client-individual` acks, else left alone — never a `client` NACK, which would also reject
   * every earlier unacked message. Either way the connection goes on and a status event tells why.
   */
  #tooLarge(error: StompFrameTooLargeError): void {
    let sub: StompAsyncSubscription | undefined;
    try {
      sub = this.session.subscription(commands.message(error.frame, this.session.version))?.context;
    } catch {
      // Without a usable subscription header there is nothing to settle; the event still tells.
    }
    const nacked = sub?.ackMode === "client-individual";
    this.#status.emit({ type: "message-too-large", error, nacked });
    if (!nacked) return;
    const headers = brokerQuirks(this.session.server).finalNackHeaders;
    this.#settleFrame("nack", error.frame, { headers }).catch((failure) =>
      this.#status.emit({ type: "error", error: failure as Error })
    );
  }

  /**
   * Receipted sends not yet confirmed plus sends waiting for a connection (see
   * {@link AsyncStompOptions.outbox}), and how many times a send was written again after a loss.
   */
  get outbox(): { readonly size: number; readonly blocked: number; readonly resends: number } {
    const { size, blocked, resends } = this.#outbox;
    return { size, blocked, resends };
  }

  /** True while connected. */
  get connected(): boolean {
    return this.#lifecycle.state === "connected";
  }

  /**
   * The TLS the current connection negotiated: protocol, cipher and the broker's certificate.
   * Undefined while not connected, on a plain `tcp://` or `ws://` connection, and where the
   * connector cannot tell: only the Node connector (`node:tls`) can; Deno's TLS and every WebSocket
   * expose no certificate. A reconnect may land on another broker: the `connected` status event
   * carries each connection's.
   *
   * @example
   * ```ts ignore
   * await client.connect();
   * const cert = client.tls?.peerCertificate;
   * if (cert) console.log(cert.subject, "valid until", cert.validTo.toISOString(), cert.fingerprint256);
   * ```
   */
  get tls(): StompTlsInfo | undefined {
    return this.connected ? this.#lifecycle.channel?.connection.tls : undefined;
  }

  /** Where the client is now, synchronously; "closed" before the first connect. */
  get state(): StompClientState {
    const state = this.#lifecycle.state;
    return state === "idle" ? "closed" : state;
  }

  /**
   * Resolves on a clean disconnect; rejects with why the client stopped: connection lost (and not
   * regained), an ERROR frame ({@link StompProtocolError} with `frame`), a handler failure.
   */
  get disconnected(): Promise<void> {
    return this.#lifecycle.disconnected;
  }

  /**
   * Status events as an async iterable: first `{ type: "state", state }` with the current state (so
   * a late listener renders the right thing), then every event from now on. Ends when the client
   * closes or `signal` aborts.
   */
  status(signal?: AbortSignal): AsyncIterableIterator<StompStatusEvent> {
    return this.#status.listen(signal, { type: "state", state: this.state });
  }

  #unhandled(frame: StompFrame, reason: string): void {
    this.#status.emit({
      type: "unhandled",
      frame,
      reason,
      action: frame.command === "MESSAGE" ? "left" : "ignored",
    });
  }

  /**
   * Connects, walking the failover sequence. Resolves with the CONNECTED frame.
   */
  connect(options: StompClientConnectOptions = {}): Promise<StompFrame> {
    return this.#lifecycle.connect(options);
  }

  #onFrame(frame: StompFrame): void {
    if (this.#lifecycle.state === "closed") {
      return this.#unhandled(frame, `${frame.command} after the client closed`);
    }
    try {
      switch (frame.command) {
        case "MESSAGE": {
          const token = commands.message(frame, this.session.version);
          // A MESSAGE for a subscription that just ended: unacked, so the broker redelivers it, or
          // with auto acks lost, which the subscription counts. One for a subscription this client
          // never had is left unacked too (see StompStatusEvent) and reported.
          const sub = this.session.subscription(token)?.context ??
            this.session.endedSubscription(token)?.context;
          if (sub) subscriptionControl(sub).deliver(frame, this.#lifecycle.generation);
          else this.#unhandled(frame, "MESSAGE for a subscription this client does not know");
          return;
        }
        case "RECEIPT": {
          let id: string;
          try {
            id = this.session.receipt(frame);
          } catch (error) {
            return this.#unhandled(frame, `RECEIPT nobody asked for: ${(error as Error).message}`);
          }
          if (!this.#outbox.confirm(id) && !this.#receipts.resolve(id)) {
            this.#unhandled(frame, "RECEIPT nobody waits for any more (its wait timed out or was aborted)");
          }
          return;
        }
        case "ERROR": {
          // A delivery that raced an UNSUBSCRIBE (RabbitMQ): that subscription's affair, not the client's.
          const late = this.session.lateDelivery(frame);
          if (late) return subscriptionControl(late.context).lateDelivery();
          const error = this.session.error(frame);
          const id = frame.headers["receipt-id"];
          if (id !== undefined && !this.#outbox.fail(id, error)) this.#receipts.reject(id, error);
          this.#lifecycle.finalize(error);
          return;
        }
        default:
          throw new StompProtocolError(`unexpected frame from the broker: ${frame.info()}`);
      }
    } catch (error) {
      this.#status.emit({ type: "error", error: error as Error });
    }
  }

  /** Writes `frame`; with a receipt id, resolves when its RECEIPT arrives. */
  #write(frame: StompFrame, receipt: string | undefined, options: StompReceiptOptions): Promise<void> {
    if (receipt === undefined) return this.#lifecycle.send(frame);
    return this.#receipts.send(receipt, () => this.#lifecycle.send(frame), {
      timeout: options.timeout ?? this.#options.receiptTimeout,
      signal: options.signal,
    });
  }

  /**
   * Runs `call` (which writes before its first await) on a connection: now, or, while the client
   * reconnects, once the next connection is up, in call order. `options` bound the whole call.
   */
  #gated<T>(options: StompWaitOptions, what: string, call: () => Promise<T>): Promise<T> {
    if (this.#outbox.immediate) return call();
    let cancelled = false;
    const result = new Promise<T>((resolve, reject) =>
      this.#outbox.submit({
        run: () => {
          if (!cancelled) call().then(resolve, reject);
        },
        fail: reject,
      })
    );
    return deadline(result, options, what, () => cancelled = true);
  }

  /**
   * Sends a message. `content-length` is added for you; `"content-length": false` in the headers
   * leaves it out. While the client reconnects the send waits for the next connection (see
   * {@link AsyncStompOptions.whileReconnecting}).
   *
   * Without `receipt` a send is fire-and-forget: resolved once written, and not sent again if the
   * connection drops before the broker stored it. With `receipt` it resolves once the broker
   * confirmed it; when the connection is lost first, it is resent on the next one (unless
   * `retry: false` or inside a transaction) with a new receipt id: at-least-once, every copy
   * carrying the same `stompest-publish-id` header (see {@link StompMessage.resent}). Inside a
   * transaction do not wait for a receipt before committing: RabbitMQ answers it only at COMMIT
   * (and never after ABORT).
   */
  send(
    destination: string,
    body?: StompBody,
    headers?: StompHeadersInit,
    options: StompSendCallOptions = {},
  ): Promise<void> {
    // Not an async function: a publish loop that does not await each send would otherwise keep a
    // suspended call (frame, promise, reaction) per message alive until its batch is written. The
    // fast path returns the promise the whole batch shares; a bad argument still rejects, not throws.
    try {
      const receipt = receiptId(options.receipt, "send");
      const { headers: h, transaction, bytes } = withContentLength(body, headers);
      const retry = receipt !== undefined && transaction === undefined &&
        (options.retry ?? this.#options.retry);
      if (!retry && this.#outbox.immediate) {
        this.#transactions.check(transaction);
        return this.#write(
          this.session.send(destination, bytes, h, { receipt, transaction }),
          receipt,
          options,
        );
      }
      const { timeout, signal } = options;
      return this.#outbox.publish({
        destination,
        body: bytes,
        headers: retry ? withPublishId(h) : h,
        receipt,
        transaction,
        retry,
        timeout,
        signal,
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Subscribes. Without a `handler`, iterate the returned subscription; with one, messages are
   * handed to it (acked after it resolves with client acks, unless `ack: false`). With client acks
   * the broker is told the window as its prefetch (`prefetch-count`, `activemq.prefetchSize`) unless
   * headers set one. Headers are a record or ordered `[name, value]` pairs.
   */
  subscribe(
    destination: string,
    headers: StompHeadersInit = {},
    options: StompSubscribeOptions = {},
  ): Promise<StompAsyncSubscription> {
    return this.#gated(
      options,
      `subscribe to ${destination}`,
      () => this.#subscribe(destination, headers, options),
    );
  }

  async #subscribe(
    destination: string,
    headers: StompHeadersInit,
    options: StompSubscribeOptions,
  ): Promise<StompAsyncSubscription> {
    const { ack, window, headers: h } = subscribeHeaders(this.session.version, headers, options);
    const sub = openSubscription(this.#host, destination, ack, { ...options, window });
    const control = subscriptionControl(sub);
    const receipt = receiptId(options.receipt, "subscribe");
    const { frame, token } = this.session.subscribe(destination, h, { receipt, context: sub });
    control.bind(token);
    this.#subs.add(sub);
    try {
      await this.#write(frame, receipt, options);
    } catch (error) {
      this.#subs.delete(sub);
      this.session.forget(token);
      control.end(error as Error);
      throw error;
    }
    options.signal?.addEventListener("abort", () => sub.unsubscribe().catch(() => {}), { once: true });
    if (options.handler) {
      this.#failures.set(sub, options);
      this.#track(control.run(options.handler, Math.max(1, options.concurrency ?? 1)));
    }
    return sub;
  }

  /**
   * Ends a subscription, given it or its token (stompest's `unsubscribe(token)`): exactly
   * `sub.unsubscribe(options)`, so a loop over it ends too. With `receipt`, resolves once the broker
   * confirmed the UNSUBSCRIBE. A subscription that already ended is left alone.
   *
   * @example
   * ```ts ignore
   * const sub = await client.subscribe("/queue/work");
   * await client.unsubscribe(sub.token, { receipt: true });
   * ```
   */
  async unsubscribe(
    sub: StompAsyncSubscription | StompToken,
    options: StompReceiptOptions = {},
  ): Promise<void> {
    const found = typeof sub === "string" ? this.session.subscription(sub)?.context : sub;
    if (!found) throw new TypeError(`unsubscribe: no active subscription ${JSON.stringify(sub)}`);
    await found.unsubscribe(options);
  }

  /** Sends UNSUBSCRIBE for a subscription that ended (or forgets it while not connected). */
  async #unsubscribe(sub: StompAsyncSubscription, options: StompReceiptOptions): Promise<void> {
    this.#subs.delete(sub);
    if (!this.session.subscription(sub.token)) return;
    if (this.#lifecycle.state === "connected") {
      const receipt = receiptId(options.receipt, "unsubscribe");
      await this.#write(this.session.unsubscribe(sub.token, receipt), receipt, options);
    } else {
      this.session.forget(sub.token);
    }
  }

  /**
   * Settles a message of a subscription (its ack()/nack()). Not async: an ACK joins the writer's
   * batch and shares its promise, so acking each message of a burst allocates nothing per message.
   */
  #settle(message: StompMessage, kind: "ack" | "nack", options: StompAckCallOptions): Promise<void> {
    // Delivered on a connection that is gone: the broker redelivers it, so there is nothing to settle.
    // While disconnecting gracefully the handlers still finishing must be able to ack.
    if (
      message.generation !== this.#lifecycle.generation ||
      (this.#lifecycle.state !== "connected" && this.#lifecycle.state !== "disconnecting")
    ) {
      return Promise.resolve();
    }
    return this.#settleFrame(kind, message.frame, options);
  }

  #settleFrame(kind: "ack" | "nack", message: StompFrame, options: StompAckCallOptions): Promise<void> {
    try {
      const { frame, receipt } = settleFrame(this.session, kind, message, options);
      // Without a receipt a lost connection is no failure: the broker redelivers the message.
      if (receipt === undefined) return this.#lifecycle.settle(frame);
      return this.#write(frame, receipt, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Tracks a handler's work so a graceful disconnect can wait for it. */
  #track(work: Promise<unknown>): void {
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

  /** Begins a transaction (waiting for a connection while reconnecting); resolves with its id. */
  begin(transaction?: string, options: StompReceiptOptions = {}): Promise<string> {
    return this.#gated(options, "BEGIN", async () => {
      const receipt = receiptId(options.receipt, "begin");
      const frame = this.session.begin(transaction, receipt);
      const id = frame.headers.transaction;
      this.#transactions.begin(id);
      await this.#write(frame, receipt, options);
      return id;
    });
  }

  /**
   * Commits a transaction. One that was open when its connection was lost rejects with
   * {@link StompTransactionLostError}: the broker dropped it, nothing sent in it was committed.
   */
  commit(transaction: string, options: StompReceiptOptions = {}): Promise<void> {
    return this.#end("commit", transaction, options);
  }

  /** Aborts a transaction ({@link StompTransactionLostError} when lost with its connection, as for commit). */
  abort(transaction: string, options: StompReceiptOptions = {}): Promise<void> {
    return this.#end("abort", transaction, options);
  }

  #end(kind: "commit" | "abort", transaction: string, options: StompReceiptOptions): Promise<void> {
    // A lost transaction fails at once: no need to wait for a connection to say so.
    if (this.#transactions.lost(transaction)) {
      return Promise.resolve().then(() => this.#transactions.finish(transaction));
    }
    return this.#gated(options, kind.toUpperCase(), async () => {
      this.#transactions.finish(transaction);
      const receipt = receiptId(options.receipt, kind);
      await this.#write(this.session[kind](transaction, receipt), receipt, options);
    });
  }

  /**
   * Runs `fn` in a transaction: BEGIN, then COMMIT when it resolves, or ABORT and rethrow.
   * With `receipt: true` each of BEGIN/COMMIT/ABORT waits for its RECEIPT. When the connection is
   * lost before COMMIT went out, the broker dropped the transaction: this rejects with
   * {@link StompTransactionLostError} (nothing of it was committed, nothing of it is resent).
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
      if (this.#transactions.lost(transaction)) {
        try {
          this.#transactions.finish(transaction);
        } catch (lost) {
          // fn failed because the connection went: say that the transaction is gone.
          if (error instanceof StompConnectionError) {
            throw error instanceof StompTransactionLostError ? error : lost;
          }
        }
      } else if (this.#lifecycle.state === "connected") {
        await this.abort(transaction, options);
      }
      throw error;
    }
    await this.commit(transaction, options);
    return result;
  }

  /**
   * Disconnects gracefully: stop taking messages, wait for in-flight handlers (at most `timeout`
   * ms, else {@link StompCancelledError} and the connection is closed), DISCONNECT with a receipt
   * (`receipt: false` skips it), wait for it, close. Only the RECEIPT confirms: a connection closed
   * before it rejects with {@link StompConnectionError} (the broker may not have processed what came
   * before), except on RabbitMQ Web-STOMP, which closes the WebSocket instead of sending it.
   */
  async disconnect(
    { timeout, receipt = true, signal, reason }:
      & { receipt?: boolean | string; reason?: Error }
      & StompReceiptOptions = {},
  ): Promise<void> {
    const state = this.#lifecycle.state;
    if (state === "reconnecting" || state === "connecting") return this.#lifecycle.finalize(reason);
    if (state !== "connected") return;
    this.#lifecycle.disconnecting();
    const wait = { timeout: timeout ?? this.#options.receiptTimeout, signal };
    for (const sub of this.#subs) subscriptionControl(sub).stop();
    try {
      await deadline(Promise.allSettled([...this.#inflight]), wait, "waiting for message handlers");
      const channel = this.#lifecycle.channel!;
      const id = receiptId(receipt, "disconnect");
      const frame = this.session.disconnect(id, this.config.disconnectHeaders);
      // Read now: the session forgets the server when the connection closes.
      const closeConfirms = closeConfirmsDisconnect(this.session.server, this.#lifecycle.broker?.protocol);
      const confirmed = id === undefined ? undefined : this.#receipts.expect(id);
      await channel.send(frame);
      this.session.sent();
      if (confirmed) {
        // A close before the RECEIPT fails the disconnect, except where the broker is known to close
        // instead of answering (RabbitMQ Web-STOMP: see broker_quirks.ts).
        const closed = this.#lifecycle.channelClosed!.then(() => {
          if (closeConfirms) return;
          throw new StompConnectionError(
            `${channel.connection.info}: the broker closed the connection without the RECEIPT for ` +
              `DISCONNECT ${JSON.stringify(id)}`,
          );
        });
        await deadline(Promise.race([confirmed.promise, closed]), wait, "DISCONNECT receipt");
      }
    } catch (error) {
      this.#lifecycle.finalize(error as Error);
      throw error;
    }
    this.#lifecycle.finalize(reason);
  }

  /** Closes at once: no DISCONNECT, no waiting; `disconnected` resolves. */
  close(): Promise<void> {
    this.#lifecycle.finalize();
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
