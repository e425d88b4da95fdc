/**
 * The connection lifecycle of the async client: connect (walking the failover sequence and
 * replaying subscriptions), keep the connection (heart-beats), and on an unexpected loss either
 * reconnect or give up. The client's calls live in client.ts; what a loss or the end means for
 * receipts and subscriptions is told back to it through {@link ClientLifecycleHooks}.
 *
 * @module
 */

import type { StompChannel } from "../connection/channel.ts";
import type { StompConfig } from "../connection/config.ts";
import { establish, type StompClientConnectOptions } from "../connection/connect.ts";
import { StompConnectionError } from "../errors.ts";
import { StompFrameTooLargeError } from "../protocol/frame_too_large.ts";
import type { StompBroker } from "../protocol/broker.ts";
import type { StompFailoverTransport } from "../protocol/failover.ts";
import type { StompFrame, StompHeartBeat } from "../protocol/frame.ts";
import type { StompSession } from "../protocol/session.ts";
import { Deferred } from "../connection/wait.ts";
import { HeartBeater } from "./heartbeat.ts";
import type { ResolvedAsyncStompOptions } from "./options.ts";
import type { StatusHub } from "./status.ts";
import type { StompAsyncSubscription } from "./subscription.ts";

/**
 * Where the client is in its lifecycle.
 *
 * @example
 * ```ts
 * import type { ClientState } from "./lifecycle.ts";
 * const canSettle = (state: ClientState) => state === "connected" || state === "disconnecting";
 * ```
 */
export type ClientState = "idle" | "connecting" | "connected" | "reconnecting" | "disconnecting" | "closed";

/**
 * What the lifecycle tells the client.
 *
 * @example
 * ```ts
 * import type { ClientLifecycleHooks } from "./lifecycle.ts";
 * const hooks: ClientLifecycleHooks = {
 *   frame: (frame) => console.log(frame.command),
 *   lost: (reason) => console.log("lost:", reason.message),
 *   ended: (error) => console.log("ended", error?.message ?? "cleanly"),
 *   tooLarge: (error) => console.log("skipped", error.frame.headers["message-id"]),
 * };
 * ```
 */
export interface ClientLifecycleHooks {
  /** A frame from the broker (heart-beats excluded). */
  frame(frame: StompFrame): void;
  /** The connection was lost; a reconnect (or the end) follows. Nothing sent on it will be answered. */
  lost(reason: StompConnectionError): void;
  /** The client ended, with `error` unless cleanly. */
  ended(error?: Error): void;
  /** A MESSAGE whose body broke a parser limit arrived without its body; the connection goes on. */
  tooLarge(error: StompFrameTooLargeError): void;
  /**
   * A connection is up and its subscriptions replayed: the calls that waited for it may write now
   * (synchronously, before anything else can).
   */
  opened?(): void;
}

/**
 * The state machine behind an `AsyncStomp`'s connection.
 *
 * @example
 * ```ts ignore
 * import { ClientLifecycle } from "./lifecycle.ts";
 * const lifecycle = new ClientLifecycle(config, session, transport, options, status, hooks);
 * await lifecycle.connect({});
 * await lifecycle.send(session.beat());
 * lifecycle.finalize();
 * ```
 */
export class ClientLifecycle {
  #config: StompConfig;
  #session: StompSession<StompAsyncSubscription>;
  #transport: StompFailoverTransport;
  #options: ResolvedAsyncStompOptions;
  #status: StatusHub;
  #hooks: ClientLifecycleHooks;
  #state: ClientState = "idle";
  #channel?: StompChannel;
  #broker?: StompBroker;
  #generation = 0;
  #attempt = 0;
  /** The writer's last promise and what `send` made of it (shared by a batch's frames). */
  #written?: Promise<void>;
  #sent?: Promise<void>;
  /** `#sent`, resolved instead of rejected (see settle). */
  #sentOrLost?: Promise<void>;
  #connectOptions: StompClientConnectOptions = {};
  #disconnected = new Deferred<void>();
  #beater?: HeartBeater;
  #lossReason?: StompConnectionError;
  #channelClosed?: Deferred<void>;
  #abort = new AbortController();

  /** Idle until {@link ClientLifecycle.connect}; `disconnected` starts resolved. */
  constructor(
    config: StompConfig,
    session: StompSession<StompAsyncSubscription>,
    transport: StompFailoverTransport,
    options: ResolvedAsyncStompOptions,
    status: StatusHub,
    hooks: ClientLifecycleHooks,
  ) {
    this.#config = config;
    this.#session = session;
    this.#transport = transport;
    this.#options = options;
    this.#status = status;
    this.#hooks = hooks;
    this.#disconnected.resolve();
  }

  /** The current state. */
  get state(): ClientState {
    return this.#state;
  }

  /** Which connection (counted from 1) is open: a message from an older one cannot be settled. */
  get generation(): number {
    return this.#generation;
  }

  /** The open channel, if any (still set after a loss noticed while disconnecting). */
  get channel(): StompChannel | undefined {
    return this.#channel;
  }

  /** The broker of the open (or last) connection. */
  get broker(): StompBroker | undefined {
    return this.#broker;
  }

  /** Resolves when the current channel closed, for whatever reason. */
  get channelClosed(): Promise<void> | undefined {
    return this.#channelClosed?.promise;
  }

  /** Settles when the client ends: see `AsyncStomp.disconnected`. */
  get disconnected(): Promise<void> {
    return this.#disconnected.promise;
  }

  /** A graceful disconnect started: no reconnect after a loss, but handlers may still settle. */
  disconnecting(): void {
    this.#state = "disconnecting";
  }

  /** Connects, walking the failover sequence. Resolves with the CONNECTED frame. */
  async connect(options: StompClientConnectOptions): Promise<StompFrame> {
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
      this.#session.close({ flush: true });
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
      this.#config,
      this.#transport,
      this.#session,
      { ...options, signal },
      {
        frame: (frame) => this.#hooks.frame(frame),
        alive: () => this.#session.received(),
        frameError: (error) => {
          // A MESSAGE over a body limit fails alone: the client settles it and reads on.
          if (error instanceof StompFrameTooLargeError && error.frame.command === "MESSAGE") {
            return this.#hooks.tooLarge(error);
          }
          this.#status.emit({ type: "error", error });
          this.#lose(
            new StompConnectionError(`bad frame from the broker: ${error.message}`, { cause: error }),
          );
        },
        closed: (error) => {
          channelClosed.resolve();
          if (attempt === this.#attempt) this.#onClosed(error);
        },
      },
      { receipts: false, keep: (context) => !(context as StompAsyncSubscription).ended },
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
    this.#broker = broker;
    this.#channelClosed = channelClosed;
    this.#generation++;
    this.#state = "connected";
    this.#lossReason = undefined;
    this.#startHeartBeats();
    const tls = channel.connection.tls;
    this.#status.emit({ type: "connected", broker, version: this.#session.version, ...(tls ? { tls } : {}) });
    this.#hooks.opened?.();
    if (channelClosed.settled) this.#onClosed(); // lost during the replay
    return connected;
  }

  #startHeartBeats(): void {
    this.#beater?.stop();
    const session = this.#session;
    this.#beater = new HeartBeater({
      clientPeriod: session.clientHeartBeat,
      serverPeriod: session.serverHeartBeat,
      factors: this.#options.heartBeatFactors,
      now: Date.now,
      lastSent: () => session.lastSent,
      lastReceived: () => session.lastReceived,
      beat: () => {
        this.send(session.beat()).catch(() => {});
      },
      dead: (silence) => {
        this.#status.emit({ type: "heartbeat-timeout", silence });
        this.#lose(new StompConnectionError(`heart-beat timeout: nothing from the broker for ${silence} ms`));
      },
      ticker: this.#options.ticker,
    });
    this.#beater.start();
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
    this.#session.close({ flush: false });
    this.#hooks.lost(reason);
    this.#status.emit({ type: "disconnected", error: reason });
    if (!this.#options.reconnect) return this.finalize(reason);
    this.#state = "reconnecting";
    this.#open(this.#connectOptions).catch((e) => this.#reconnectFailed(e));
  }

  #reconnectFailed(error: unknown): void {
    if (this.#state !== "reconnecting") return;
    // establish() itself moves on from a broker that refuses, stays silent or answers ERROR; what
    // reaches here is final: out of attempts, aborted (closed meanwhile), or a CONNECT that cannot be built.
    this.finalize(error instanceof Error ? error : new StompConnectionError(String(error), { cause: error }));
  }

  /** Ends the client: no reconnect; `disconnected` settles with `error` (resolves when none). */
  finalize(error?: Error): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#abort.abort(error ?? new StompConnectionError("client closed"));
    this.#beater?.stop();
    const channel = this.#channel;
    this.#channel = undefined;
    channel?.close();
    this.#session.close({ flush: true });
    this.#hooks.ended(error);
    this.#status.emit({ type: "disconnected", error });
    if (error) this.#disconnected.reject(error);
    else this.#disconnected.resolve();
  }

  /** The open channel; else {@link StompConnectionError} (its `cause` is why the last one was lost). */
  channelOrThrow(): StompChannel {
    if (this.#channel && this.#state !== "closed") return this.#channel;
    throw this.notConnected();
  }

  /** The error of a call that needs a connection and there is none; its `cause` is why the last one was lost. */
  notConnected(): StompConnectionError {
    return new StompConnectionError(
      this.#state === "reconnecting" ? "not connected (reconnecting)" : "not connected",
      { cause: this.#lossReason },
    );
  }

  /** Writes `frame` on the open channel; any failure is a {@link StompConnectionError}. */
  send(frame: StompFrame | StompHeartBeat): Promise<void> {
    let channel: StompChannel;
    try {
      channel = this.channelOrThrow();
    } catch (error) {
      return Promise.reject(error);
    }
    // Frames written together share the writer's promise, and so share this one: a publish loop
    // of small messages costs one `then` per batch, not per frame.
    const written = channel.send(frame);
    if (written === this.#written) return this.#sent!;
    this.#written = written;
    const sent = this.#sent = written.then(() => this.#session.sent(), (cause) => {
      const error = cause instanceof StompConnectionError
        ? cause
        : new StompConnectionError("write failed", { cause });
      // A connection that cannot be written is lost, even while its read side still looks open:
      // reconnect (or end) now rather than at the next heart-beat timeout, if any.
      if (this.#channel === channel) this.#lose(error);
      throw error;
    });
    // Shared by every frame of the batch and handed out as it is (a fire-and-forget send keeps
    // nothing alive per message): a failure is reported to those who await it and as the lost
    // connection, never as an unhandled rejection.
    this.#sentOrLost = sent.catch(() => {});
    return sent;
  }

  /**
   * As {@link ClientLifecycle.send}, but resolved when the connection is gone or is lost before
   * the frame is out: for an ACK or NACK without a receipt, whose message the broker redelivers
   * then, so there is nothing left to settle (as after a reconnect). Shared per batch, as `send`.
   */
  settle(frame: StompFrame): Promise<void> {
    if (!this.#channel || this.#state === "closed") return Promise.resolve();
    const sent = this.send(frame);
    return sent === this.#sent ? this.#sentOrLost! : sent.catch(() => {});
  }
}
