/**
 * {@link StompSession}: the state of one STOMP conversation without any I/O. It validates each
 * call against the state, builds frames with {@link ./commands.ts}, and keeps the subscriptions
 * (for replay after a reconnect), receipts, transactions and heart-beat bookkeeping.
 *
 * @module
 */

import * as commands from "./commands.ts";
import { getHeader } from "./command_checks.ts";
import type { StompConnectedInfo, StompConnectOptions, StompSendOptions, StompToken } from "./commands.ts";
import { checkHeaders10 } from "./broker_quirks.ts";
import { StompProtocolError } from "./protocol_error.ts";
import { lateDeliveryToken } from "./broker_quirks.ts";
import type { StompBody, StompFrame, StompHeadersInit, StompHeartBeat } from "./frame.ts";
import { checkVersion, DEFAULT_VERSION, Header, SPEC, type StompVersion, VERSIONS } from "./spec.ts";
import { copySubscribeHeaders, type StompSubscription, SubscriptionRegistry } from "./subscriptions.ts";

export type { StompSubscription } from "./subscriptions.ts";

/**
 * The states of a session.
 *
 * @example
 * ```ts
 * import { SessionState } from "./session.ts";
 * console.log(SessionState.CONNECTED); // "connected"
 * ```
 */
export const SessionState = {
  DISCONNECTED: "disconnected",
  CONNECTING: "connecting",
  CONNECTED: "connected",
  DISCONNECTING: "disconnecting",
} as const;

/**
 * A session state value.
 *
 * @example
 * ```ts
 * import type { StompSessionState } from "./session.ts";
 * const state: StompSessionState = "connecting";
 * ```
 */
export type StompSessionState = (typeof SessionState)[keyof typeof SessionState];

/**
 * How a session is made: the highest version it may speak (default {@link DEFAULT_VERSION}),
 * whether calls out of state throw (default true), and the clock for heart-beat bookkeeping.
 *
 * @example
 * ```ts
 * import type { StompSessionOptions } from "./session.ts";
 * const options: StompSessionOptions = { version: "1.1", check: false, clock: () => performance.now() };
 * ```
 */
export interface StompSessionOptions {
  /** The highest version allowed; reported as {@link StompSession.version} when not connected. */
  readonly version?: StompVersion;
  /** Throw {@link StompProtocolError} on calls out of state (default true). */
  readonly check?: boolean;
  /** Milliseconds for {@link StompSession.lastSent} / {@link StompSession.lastReceived} (default `Date.now`). */
  readonly clock?: () => number;
}

/**
 * {@link StompSession.connect} options: {@link StompConnectOptions} plus the command to use.
 *
 * @example
 * ```ts
 * import type { StompSessionConnectOptions } from "./session.ts";
 * const options: StompSessionConnectOptions = { host: "/", command: "STOMP" };
 * ```
 */
export interface StompSessionConnectOptions extends StompConnectOptions {
  /** `CONNECT` (default) or its 1.1+ synonym `STOMP`. */
  readonly command?: "CONNECT" | "STOMP";
}

/**
 * An I/O-free STOMP session. Methods named after client frames return the frame to send;
 * `connected`, `message`, `receipt` and `error` take the broker's frames.
 *
 * @example
 * ```ts
 * import { StompSession } from "./session.ts";
 * import { StompFrame } from "./frame.ts";
 * const session = new StompSession();
 * const connectFrame = session.connect({ login: "guest", passcode: "guest", host: "/", heartBeats: [0, 1000] });
 * session.connected(new StompFrame("CONNECTED", { version: "1.2", "heart-beat": "1000,0" }));
 * const { frame, token } = session.subscribe("/queue/a"); // an id is generated in 1.1+
 * console.log(session.version, session.serverHeartBeat, token.startsWith("id:")); // "1.2" 1000 true
 * ```
 */
export class StompSession<C = unknown> {
  /** Not connected. */
  static readonly DISCONNECTED: typeof SessionState.DISCONNECTED = SessionState.DISCONNECTED;
  /** CONNECT sent, waiting for CONNECTED. */
  static readonly CONNECTING: typeof SessionState.CONNECTING = SessionState.CONNECTING;
  /** Connected. */
  static readonly CONNECTED: typeof SessionState.CONNECTED = SessionState.CONNECTED;
  /** DISCONNECT sent. */
  static readonly DISCONNECTING: typeof SessionState.DISCONNECTING = SessionState.DISCONNECTING;

  readonly #highest: StompVersion;
  readonly #check: boolean;
  readonly #clock: () => number;
  #state: StompSessionState = SessionState.DISCONNECTED;
  #negotiated?: StompVersion;
  #offered?: StompVersion[];
  #id?: string;
  #server?: string;
  #clientBeats: readonly [number, number] = [0, 0];
  #serverBeats: readonly [number, number] = [0, 0];
  #lastSent?: number;
  #lastReceived?: number;
  #subscriptions = new SubscriptionRegistry<C>();
  #receipts = new Set<string>();
  #transactions = new Set<string>();

  /** Builds a disconnected session; an unknown version is a {@link StompProtocolError}. */
  constructor(options: StompSessionOptions = {}) {
    try {
      this.#highest = checkVersion(options.version ?? DEFAULT_VERSION);
    } catch (cause) {
      throw new StompProtocolError(`unsupported STOMP version ${JSON.stringify(options.version)}`, { cause });
    }
    this.#check = options.check ?? true;
    this.#clock = options.clock ?? Date.now;
  }

  /** The negotiated version while connected, else the highest version allowed. */
  get version(): StompVersion {
    return this.#negotiated ?? this.#highest;
  }

  /** The current state. */
  get state(): StompSessionState {
    return this.#state;
  }

  /** The broker's `session` header, once connected. */
  get id(): string | undefined {
    return this.#id;
  }

  /** The broker's `server` header, once connected. */
  get server(): string | undefined {
    return this.#server;
  }

  /** How often the client must send, in ms (0 = never; always 0 in 1.0). */
  get clientHeartBeat(): number {
    return commands.negotiateHeartBeat(this.#clientBeats, this.#serverBeats).clientHeartBeat;
  }

  /** How often the broker promised to send, in ms (0 = never; always 0 in 1.0). */
  get serverHeartBeat(): number {
    return commands.negotiateHeartBeat(this.#clientBeats, this.#serverBeats).serverHeartBeat;
  }

  /** The clock time of the last {@link StompSession.sent} call, undefined before the first. */
  get lastSent(): number | undefined {
    return this.#lastSent;
  }

  /** The clock time of the last {@link StompSession.received} call, undefined before the first. */
  get lastReceived(): number | undefined {
    return this.#lastReceived;
  }

  #require(method: string, ...states: StompSessionState[]): void {
    if (this.#check && !states.includes(this.#state)) {
      throw new StompProtocolError(`cannot ${method} in state ${this.#state} (only in ${states.join(", ")})`);
    }
  }

  /**
   * Throws on a receipt id that is still outstanding, or a 1.0 header the broker would change or
   * drop (broker_quirks.ts); call before changing any state.
   */
  #checkReceipt(frame: StompFrame): string | undefined {
    checkHeaders10(this.#server, frame);
    // A scan of the pairs, not `frame.headers`: no header record is built per SEND.
    const receipt = getHeader(frame.rawHeaders, Header.RECEIPT);
    if (receipt !== undefined && this.#receipts.has(receipt)) {
      throw new StompProtocolError(`duplicate receipt ${JSON.stringify(receipt)}: one is still outstanding`);
    }
    return receipt;
  }

  #expect(frame: StompFrame): StompFrame {
    const receipt = this.#checkReceipt(frame);
    if (receipt !== undefined) this.#receipts.add(receipt);
    return frame;
  }

  #active(transaction: string | undefined): void {
    if (transaction !== undefined && !this.#transactions.has(transaction)) {
      throw new StompProtocolError(`transaction ${JSON.stringify(transaction)} is not active`);
    }
  }

  /**
   * Builds the CONNECT (or STOMP) frame offering `versions` (default: every version up to the
   * highest allowed) and moves to CONNECTING. No `host` is invented: pass it when offering 1.1+.
   */
  connect(options: StompSessionConnectOptions = {}): StompFrame {
    this.#require("connect", SessionState.DISCONNECTED);
    const allowed = VERSIONS.slice(0, VERSIONS.indexOf(this.#highest) + 1);
    const offered = options.versions ?? allowed;
    const extra = offered.filter((v) => !allowed.includes(v));
    if (extra.length > 0) {
      throw new StompProtocolError(
        `cannot offer STOMP ${extra.join(", ")}: this session allows up to ${this.#highest}`,
      );
    }
    const build = options.command === "STOMP" ? commands.stomp : commands.connect;
    const frame = build({ ...options, versions: offered });
    const beats = frame.headers[Header.HEART_BEAT];
    this.#clientBeats = beats === undefined ? [0, 0] : commands.parseHeartBeat(beats);
    this.#offered = [...offered];
    this.#state = SessionState.CONNECTING;
    return frame;
  }

  /** Checks the broker's CONNECTED frame, settles version and heart-beats, moves to CONNECTED. */
  connected(frame: StompFrame): StompConnectedInfo {
    this.#require("handle CONNECTED", SessionState.CONNECTING);
    const allowed = VERSIONS.slice(0, VERSIONS.indexOf(this.#highest) + 1);
    const info = commands.connected(frame, this.#offered ?? allowed);
    this.#negotiated = info.version;
    this.#server = info.server;
    this.#id = info.session;
    this.#serverBeats = info.heartBeat;
    this.#offered = undefined;
    this.#subscriptions.reset(false);
    this.#state = SessionState.CONNECTED;
    return info;
  }

  /** Builds DISCONNECT (remembering its receipt; `headers` are extra ones) and moves to DISCONNECTING. */
  disconnect(receipt?: string, headers?: Readonly<Record<string, string>>): StompFrame {
    this.#require("disconnect", SessionState.CONNECTED);
    const frame = this.#expect(commands.disconnect(receipt, this.version, headers));
    this.#state = SessionState.DISCONNECTING;
    return frame;
  }

  /**
   * Forgets the connection: id, server, state, heart-beats, receipts and transactions. With
   * `flush: false` the subscriptions stay, for {@link StompSession.replay} after the next connect.
   */
  close({ flush = true }: { flush?: boolean } = {}): void {
    this.#state = SessionState.DISCONNECTED;
    this.#negotiated =
      this.#offered =
      this.#id =
      this.#server =
        undefined;
    this.#lastSent = this.#lastReceived = undefined;
    this.#clientBeats = this.#serverBeats = [0, 0];
    this.#receipts.clear();
    this.#transactions.clear();
    this.#subscriptions.reset(flush);
  }

  /** Builds a SEND frame; a given transaction must be active. */
  send(
    destination: string,
    body?: StompBody,
    headers?: StompHeadersInit,
    options: StompSendOptions = {},
  ): StompFrame {
    this.#require("send", SessionState.CONNECTED);
    this.#active(options.transaction);
    return this.#expect(commands.send(destination, body, headers, { ...options, version: this.version }));
  }

  /**
   * Builds a SUBSCRIBE frame and remembers the subscription with its `context`. In 1.1+ a missing
   * `id` is generated (and kept in the remembered headers, so a replay keeps the same token).
   */
  subscribe(
    destination: string,
    headers?: StompHeadersInit,
    options: { receipt?: string; context?: C } = {},
  ): { frame: StompFrame; token: StompToken } {
    this.#require("subscribe", SessionState.CONNECTED);
    const id = SPEC[this.version].subscribeNeedsId ? crypto.randomUUID() : undefined;
    const copy = copySubscribeHeaders(headers, id);
    const { frame, token } = commands.subscribe(destination, copy, options.receipt, this.version);
    if (this.#subscriptions.has(token)) throw new StompProtocolError(`already subscribed: ${token}`);
    const receipt = this.#checkReceipt(frame);
    // Refused before anything is remembered or sent: what the broker would turn into lost messages.
    this.#subscriptions.add(
      {
        token,
        id: frame.headers[Header.ID],
        destination,
        headers: copy,
        receipt,
        context: options.context as C,
      },
      this.#server,
    );
    return { frame: this.#expect(frame), token };
  }

  /**
   * A subscription ended on this connection (not active any more): a MESSAGE for it, or the broker's
   * ERROR about a delivery that raced its UNSUBSCRIBE ({@link StompSession.lateDelivery}), is a
   * late arrival, not a fault.
   */
  endedSubscription(token: StompToken): StompSubscription<C> | undefined {
    return this.#subscriptions.ended(token);
  }

  /**
   * The subscription ended on this connection that an ERROR is about, when the ERROR is the broker's
   * notice of a delivery that raced the UNSUBSCRIBE (RabbitMQ's "Subscription not found", see
   * broker_quirks.ts), which leaves the connection open; undefined for any other ERROR.
   */
  lateDelivery(frame: StompFrame): StompSubscription<C> | undefined {
    const token = lateDeliveryToken(this.#server, frame);
    return token === undefined ? undefined : this.#subscriptions.ended(token);
  }

  /** Builds UNSUBSCRIBE for a token or subscription and forgets it; an unknown one is an error. */
  unsubscribe(subscription: StompToken | StompSubscription<C>, receipt?: string): StompFrame {
    this.#require("unsubscribe", SessionState.CONNECTED);
    const token = typeof subscription === "string" ? subscription : subscription?.token;
    const frame = commands.unsubscribe(subscription, receipt, this.version);
    if (!this.#subscriptions.has(token)) throw new StompProtocolError(`no such subscription: ${token}`);
    this.#checkReceipt(frame);
    this.#subscriptions.end(token);
    return this.#expect(frame);
  }

  /**
   * Forgets a subscription without building a frame (it ended while there was no connection, so
   * there is nothing to send; a replay must not bring it back). Returns whether it was known.
   */
  forget(token: StompToken): boolean {
    return this.#subscriptions.end(token);
  }

  #ack(kind: "ack" | "nack", message: StompFrame, options: { receipt?: string; transaction?: string }) {
    this.#require(kind, SessionState.CONNECTED);
    this.#active(options.transaction);
    const { receipt, transaction } = options;
    return this.#expect(
      commands[kind](message, { receipt, transaction, transactions: this.#transactions }, this.version),
    );
  }

  /** Builds an ACK; the message's transaction is copied only while it is active. */
  ack(message: StompFrame, options: { receipt?: string; transaction?: string } = {}): StompFrame {
    return this.#ack("ack", message, options);
  }

  /** Builds a NACK (1.1+); the message's transaction is copied only while it is active. */
  nack(message: StompFrame, options: { receipt?: string; transaction?: string } = {}): StompFrame {
    return this.#ack("nack", message, options);
  }

  /** A transaction id: the one given, or a fresh UUID. */
  transaction(id?: string): string {
    if (id === undefined) return crypto.randomUUID();
    if (typeof id !== "string" || id === "") {
      throw new StompProtocolError("a transaction id must be a non-empty string");
    }
    return id;
  }

  /** Builds BEGIN (generating an id when none is given; read it from the frame) and activates it. */
  begin(transaction?: string, receipt?: string): StompFrame {
    this.#require("begin", SessionState.CONNECTED);
    const id = this.transaction(transaction);
    if (this.#transactions.has(id)) {
      throw new StompProtocolError(`transaction ${JSON.stringify(id)} is already active`);
    }
    const frame = this.#expect(commands.begin(id, receipt, this.version));
    this.#transactions.add(id);
    return frame;
  }

  #end(kind: "commit" | "abort", transaction: string, receipt?: string): StompFrame {
    this.#require(kind, SessionState.CONNECTED);
    const frame = commands[kind](transaction, receipt, this.version);
    this.#active(transaction);
    this.#checkReceipt(frame);
    this.#transactions.delete(transaction);
    return this.#expect(frame);
  }

  /** Builds COMMIT for an active transaction. */
  commit(transaction: string, receipt?: string): StompFrame {
    return this.#end("commit", transaction, receipt);
  }

  /** Builds ABORT for an active transaction. */
  abort(transaction: string, receipt?: string): StompFrame {
    return this.#end("abort", transaction, receipt);
  }

  /** Matches a MESSAGE to its subscription and returns that subscription's context. */
  message(frame: StompFrame): C {
    this.#require("handle MESSAGE", SessionState.CONNECTED, SessionState.DISCONNECTING);
    const token = commands.message(frame, this.version);
    let found = this.#subscriptions.get(token);
    // A 1.0 broker may add a subscription header to a message of a destination-keyed subscription.
    if (!found && !SPEC[this.version].subscribeNeedsId) {
      found = this.#subscriptions.get(`destination:${frame.headers[Header.DESTINATION]}`);
    }
    if (!found) throw new StompProtocolError(`MESSAGE for no active subscription (${token})`);
    return found.context;
  }

  /** Checks a RECEIPT against the outstanding ones and returns its id; an unexpected one is an error. */
  receipt(frame: StompFrame): string {
    this.#require("handle RECEIPT", SessionState.CONNECTED, SessionState.DISCONNECTING);
    const id = commands.receipt(frame);
    if (!this.#receipts.delete(id)) throw new StompProtocolError(`unexpected RECEIPT ${JSON.stringify(id)}`);
    return id;
  }

  /** Turns an ERROR frame into the {@link StompProtocolError} carrying it (returned, not thrown). */
  error(frame: StompFrame): StompProtocolError {
    return commands.error(frame);
  }

  /** The heart-beat to send (1.1+ only). */
  beat(): StompHeartBeat {
    this.#require("beat", SessionState.CONNECTED, SessionState.DISCONNECTING);
    return commands.beat(this.version);
  }

  /** Records that bytes were sent now (a frame counts as a heart-beat). */
  sent(): void {
    this.#lastSent = this.#clock();
  }

  /** Records that bytes were received now (a frame counts as a heart-beat). */
  received(): void {
    this.#lastReceived = this.#clock();
  }

  /** The receipt ids still waiting for a RECEIPT. */
  get receipts(): ReadonlySet<string> {
    return new Set(this.#receipts);
  }

  /** The active transaction ids. */
  get transactions(): ReadonlySet<string> {
    return new Set(this.#transactions);
  }

  /** The subscription for a token, or undefined. */
  subscription(token: StompToken): StompSubscription<C> | undefined {
    return this.#subscriptions.get(token);
  }

  /** The active subscriptions, in subscription order. */
  [Symbol.iterator](): IterableIterator<StompSubscription<C>> {
    return this.#subscriptions.values();
  }

  /** Returns the subscriptions to send again after a reconnect, in order, and forgets them. */
  replay(): StompSubscription<C>[] {
    return this.#subscriptions.replay(this.#server);
  }
}
