/**
 * {@link Stomp}: the sync-style client of Python stompest's `sync.Stomp`, every call awaited.
 *
 * @module
 */

import type { StompChannel } from "../connection/channel.ts";
import { StompConfig, type StompConfigOptions } from "../connection/config.ts";
import { establish, type StompClientConnectOptions } from "../connection/connect.ts";
import type { StompTlsInfo } from "../connection/tls_info.ts";
import { StompConnectionError, StompError } from "../errors.ts";
import { StompFailoverTransport } from "../protocol/failover.ts";
import type { StompBody, StompFrame, StompHeadersInit, StompHeartBeat } from "../protocol/frame.ts";
import * as commands from "../protocol/commands.ts";
import type { StompToken } from "../protocol/commands.ts";
import type { StompBroker } from "../protocol/broker.ts";
import { closeConfirmsDisconnect } from "../protocol/broker_quirks.ts";
import { SessionState, StompSession } from "../protocol/session.ts";
import { withContentLength } from "../protocol/send_headers.ts";
import { deadline, Deferred, type StompReceiptOptions, type StompWaitOptions } from "../connection/wait.ts";

/**
 * The receipt argument of the sync client's calls: a receipt id as in stompest (the frame asks for
 * it and the call resolves once written; the RECEIPT comes later through `receiveFrame`), or the
 * options both clients share (`{ receipt, timeout, signal }`: the call waits for the RECEIPT and
 * consumes it).
 */
type ReceiptArg = string | StompReceiptOptions | undefined;

/**
 * A sync-style STOMP client: calls send frames and resolve when they were written;
 * {@link Stomp.receiveFrame} returns the next frame from the broker.
 *
 * Frames are read continuously in the background (a broker must never block on a client that
 * stopped reading) and handed out in order. A lost connection surfaces as
 * {@link StompConnectionError} once the frames received before it were taken; the subscriptions
 * are kept and replayed by the next {@link Stomp.connect}.
 *
 * @example
 * ```ts ignore
 * import { Stomp } from "./client.ts";
 * const client = new Stomp("tcp://127.0.0.1:61613", { login: "guest", passcode: "guest" });
 * await client.connect();
 * await client.send("/queue/test", "hello");
 * const token = await client.subscribe("/queue/test", { ack: "client-individual" });
 * const frame = await client.receiveFrame({ timeout: 5000 });
 * await client.ack(frame);
 * await client.disconnect({ receipt: "bye" });
 * ```
 */
export class Stomp {
  /** What this client connects with. */
  readonly config: StompConfig;
  /** The protocol state: negotiated version, subscriptions, receipts, transactions. */
  readonly session: StompSession<unknown>;
  #transport: StompFailoverTransport;
  #channel?: StompChannel;
  /** The broker of the open (or last) connection. */
  #broker?: StompBroker;
  /** Received and not yet taken, from `#inboxHead` on (an index, because shift() is O(n)). */
  #inbox: (StompFrame | Error)[] = [];
  #inboxHead = 0;
  #waiter?: Deferred<void>;
  #lost?: StompConnectionError;
  /** Set by disconnect() and close(): the EOF that follows is ours, not the broker's doing. */
  #closing = false;
  /** The last connection ended with a clean EOF (no I/O error). */
  #cleanEnd = false;

  /** A client for `config`, or for a URI plus options. Nothing connects until {@link Stomp.connect}. */
  constructor(config: StompConfig | string, options?: StompConfigOptions) {
    this.config = config instanceof StompConfig ? config : new StompConfig(config, options);
    this.session = new StompSession({ version: this.config.version, check: this.config.check });
    this.#transport = new StompFailoverTransport(this.config.uri);
  }

  /**
   * Walks the failover sequence until a broker answers CONNECTED; replays remembered
   * subscriptions. Resolves with the CONNECTED frame. An ERROR reply rejects with
   * {@link StompProtocolError} (its `frame` is the ERROR).
   */
  async connect(options: StompClientConnectOptions = {}): Promise<StompFrame> {
    if (this.#channel) throw new StompConnectionError("already connected");
    this.#lost = undefined;
    this.#closing = this.#cleanEnd = false;
    this.#inbox = [];
    this.#inboxHead = 0;
    const { channel, connected, broker } = await establish(
      this.config,
      this.#transport,
      this.session,
      options,
      {
        frame: (frame) => this.#push(frame),
        alive: () => this.session.received(),
        frameError: (error) => this.#push(error),
        closed: (error) => this.#closed(error),
      },
      { receipts: true },
    );
    // Later sequences (reconnects) are limited by maxReconnectAttempts, not the startup limit.
    this.#transport.connected();
    this.#broker = broker;
    if (this.#lost === undefined) this.#channel = channel;
    return connected;
  }

  /**
   * The TLS the current connection negotiated: protocol, cipher and the broker's certificate.
   * Undefined while not connected, on a plain `tcp://` or `ws://` connection, and where the
   * connector cannot tell: only the Node connector (`node:tls`) can; Deno's TLS and every WebSocket
   * expose no certificate.
   *
   * @example
   * ```ts ignore
   * await client.connect();
   * console.log(client.tls?.protocol, client.tls?.peerCertificate?.fingerprint256);
   * ```
   */
  get tls(): StompTlsInfo | undefined {
    return this.#channel?.connection.tls;
  }

  #push(item: StompFrame | Error): void {
    if (!(item instanceof Error) && item.command === "RECEIPT") {
      // Checked on arrival, while the session still knows its receipts: a lost connection clears them.
      try {
        this.session.receipt(item);
      } catch (error) {
        item = error as Error;
      }
    }
    this.#inbox.push(item);
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve();
  }

  #closed(error?: StompConnectionError): void {
    const where = this.#channel ? `${this.#channel.connection.info}: ` : "";
    this.#cleanEnd = error === undefined;
    this.#lost = error ??
      new StompConnectionError(this.#closing ? "not connected" : `${where}the broker closed the connection`);
    this.#channel = undefined;
    // Keep the subscriptions: the next connect() replays them.
    if (this.session.state !== SessionState.DISCONNECTED) this.session.close({ flush: false });
    this.#wake();
  }

  #open(): StompChannel {
    if (this.#channel) return this.#channel;
    throw this.#lost ?? new StompConnectionError("not connected");
  }

  /**
   * Sends DISCONNECT. With a `receipt` (an id, `true` for a generated one; also positional, as
   * stompest's `disconnect(receipt)`), waits (at most `timeout` ms) for its RECEIPT: a connection
   * closed before it rejects with {@link StompConnectionError}, except on RabbitMQ Web-STOMP, which
   * closes the WebSocket cleanly instead of sending it. Then closes the connection and forgets the
   * session's subscriptions.
   */
  async disconnect(options: string | StompReceiptOptions = {}): Promise<void> {
    const { receipt: given, timeout, signal } = typeof options === "string" ? { receipt: options } : options;
    const receipt = given === true ? `disconnect-${crypto.randomUUID()}` : given || undefined;
    const channel = this.#open();
    const frame = this.session.disconnect(receipt, this.config.disconnectHeaders);
    // Read now: the session forgets the server when the connection closes.
    const closeConfirms = closeConfirmsDisconnect(this.session.server, this.#broker?.protocol);
    // From here on the broker closing the connection is what we asked for.
    this.#closing = true;
    try {
      await this.sendFrame(frame);
      if (receipt !== undefined) {
        await deadline(
          this.#receipt(receipt, { closeConfirms }),
          { timeout: timeout ?? this.config.connectedTimeout, signal },
          "DISCONNECT receipt",
        );
      }
    } finally {
      await channel.close();
      await channel.ended;
      this.session.close({ flush: true });
      this.#channel = undefined;
      this.#lost = new StompConnectionError("not connected");
    }
  }

  /**
   * Waits for (and takes) the RECEIPT `id` of a `command`. With `answeredByError`, an ERROR naming
   * it rejects; with `closeConfirms`, a clean close counts as the receipt (see broker_quirks.ts).
   */
  async #receipt(
    id: string,
    { command = "DISCONNECT", closeConfirms = false, answeredByError = false } = {},
  ): Promise<void> {
    for (;;) {
      const at = this.#inbox.findIndex((item, i) =>
        i >= this.#inboxHead && !(item instanceof Error) && item.headers["receipt-id"] === id &&
        (item.command === "RECEIPT" || (answeredByError && item.command === "ERROR"))
      );
      if (at >= 0) {
        const [frame] = this.#inbox.splice(at, 1) as StompFrame[];
        if (frame.command === "ERROR") throw this.session.error(frame);
        return;
      }
      if (!this.#channel) {
        if (this.#cleanEnd && closeConfirms) return;
        if (!this.#cleanEnd && this.#lost) throw this.#lost;
        throw new StompConnectionError(
          `the broker closed the connection without the RECEIPT for ${command} ${JSON.stringify(id)}`,
          { cause: this.#lost },
        );
      }
      await (this.#waiter ??= new Deferred<void>()).promise;
    }
  }

  /**
   * Writes the frame `build` makes for the receipt id `arg` asks for; with receipt options, waits
   * for its RECEIPT (default timeout: the config's `connectedTimeout`). An ERROR that answers it
   * rejects with {@link StompProtocolError}.
   */
  async #call(
    arg: ReceiptArg,
    what: string,
    build: (receipt: string | undefined) => StompFrame,
  ): Promise<void> {
    this.#open();
    if (arg === undefined || typeof arg === "string") return this.sendFrame(build(arg));
    const id = arg.receipt === true ? `${what}-${crypto.randomUUID()}` : arg.receipt || undefined;
    const frame = build(id);
    await this.sendFrame(frame);
    if (id === undefined) return;
    await deadline(
      this.#receipt(id, { command: frame.command, answeredByError: true }),
      { timeout: arg.timeout ?? this.config.connectedTimeout, signal: arg.signal },
      `RECEIPT ${id}`,
    );
  }

  /**
   * Sends a message. A string body is UTF-8 encoded. `content-length` is added for you; pass
   * `"content-length": false` to leave it out (ActiveMQ delivers a message with one to JMS
   * consumers as a BytesMessage). `receipt`: an id as in stompest (the RECEIPT comes through
   * {@link Stomp.receiveFrame}), or `{ receipt, timeout, signal }` to wait for it here (the
   * timeout defaults to the config's `connectedTimeout`); the same holds for every call below.
   *
   * @example
   * ```ts ignore
   * await client.send("/queue/a", "x", {}, "r-1"); // stompest: receiveFrame() yields RECEIPT r-1
   * await client.send("/queue/a", "y", {}, { receipt: true, timeout: 5000 }); // resolves once confirmed
   * ```
   */
  async send(
    destination: string,
    body?: StompBody,
    headers?: StompHeadersInit,
    receipt?: string | StompReceiptOptions,
  ): Promise<void> {
    this.#open();
    const { headers: h, transaction, bytes } = withContentLength(body, headers);
    await this.#call(
      receipt,
      "send",
      (id) => this.session.send(destination, bytes, h, { receipt: id, transaction }),
    );
  }

  /**
   * Subscribes; resolves with the token that identifies the subscription (an `id` is generated in 1.1+).
   * Rejects with a `StompProtocolError`, sending nothing, where the broker would lose messages: on
   * RabbitMQ a `client`-ack subscription beside (or after) another acking one on the same connection.
   */
  async subscribe(
    destination: string,
    headers?: StompHeadersInit,
    receipt?: string | StompReceiptOptions,
  ): Promise<StompToken> {
    let token!: StompToken;
    await this.#call(receipt, "subscribe", (id) => {
      const built = this.session.subscribe(destination, headers, { receipt: id });
      token = built.token;
      return built.frame;
    });
    return token;
  }

  /** Ends a subscription (`receipt` as in {@link Stomp.send}). */
  async unsubscribe(token: StompToken, receipt?: string | StompReceiptOptions): Promise<void> {
    await this.#call(receipt, "unsubscribe", (id) => this.session.unsubscribe(token, id));
  }

  /** Acknowledges a MESSAGE (the headers are picked per version; an active transaction is kept). */
  async ack(frame: StompFrame, receipt?: string | StompReceiptOptions): Promise<void> {
    await this.#call(receipt, "ack", (id) => this.session.ack(frame, { receipt: id }));
  }

  /** Rejects a MESSAGE (STOMP 1.1+). */
  async nack(frame: StompFrame, receipt?: string | StompReceiptOptions): Promise<void> {
    await this.#call(receipt, "nack", (id) => this.session.nack(frame, { receipt: id }));
  }

  /** Begins a transaction; resolves with its id (generated when none is given). */
  async begin(transaction?: string, receipt?: string | StompReceiptOptions): Promise<string> {
    let id!: string;
    await this.#call(receipt, "begin", (r) => {
      const frame = this.session.begin(transaction, r);
      id = frame.headers.transaction;
      return frame;
    });
    return id;
  }

  /** Commits a transaction. */
  async commit(transaction: string, receipt?: string | StompReceiptOptions): Promise<void> {
    await this.#call(receipt, "commit", (id) => this.session.commit(transaction, id));
  }

  /** Aborts a transaction. */
  async abort(transaction: string, receipt?: string | StompReceiptOptions): Promise<void> {
    await this.#call(receipt, "abort", (id) => this.session.abort(transaction, id));
  }

  /**
   * Runs `fn` inside a transaction: BEGIN, then COMMIT when `fn` resolves, or ABORT and rethrow
   * when it throws. `fn` gets the transaction id to put on its sends and acks. With a `receipt`,
   * the frames ask for `<receipt>-begin` and `<receipt>-commit` (or `<receipt>-abort`), as
   * stompest did: one id cannot be outstanding twice.
   */
  async transaction<T>(
    fn: (transaction: string) => Promise<T> | T,
    { id, receipt }: { id?: string; receipt?: string } = {},
  ): Promise<T> {
    const suffixed = (what: string) => receipt === undefined ? undefined : `${receipt}-${what}`;
    const transaction = await this.begin(id, suffixed("begin"));
    let result: T;
    try {
      result = await fn(transaction);
    } catch (error) {
      if (this.#channel) await this.abort(transaction, suffixed("abort"));
      throw error;
    }
    await this.commit(transaction, suffixed("commit"));
    return result;
  }

  /**
   * The next frame from the broker (MESSAGE, RECEIPT or ERROR; heart-beats are consumed). A
   * RECEIPT was checked against the session when it arrived (one nobody asked for is thrown here
   * as {@link StompProtocolError}); an ERROR frame is thrown as {@link StompProtocolError} with
   * `frame`. A frame the parser could not read is thrown as StompFrameError, in order. Fails with StompCancelledError when the timeout
   * runs out or the signal aborts, and with {@link StompConnectionError} once the connection is
   * gone and every frame received before was taken.
   */
  async receiveFrame(options: StompWaitOptions = {}): Promise<StompFrame> {
    for (;;) {
      if (this.#available()) return this.#take();
      if (!this.#channel) throw this.#lost ?? new StompConnectionError("not connected");
      const waiter = this.#waiter ??= new Deferred<void>();
      await deadline(waiter.promise, options, "receiveFrame");
    }
  }

  #available(): boolean {
    return this.#inboxHead < this.#inbox.length;
  }

  #take(): StompFrame {
    const item = this.#inbox[this.#inboxHead++];
    if (this.#inboxHead === this.#inbox.length) {
      this.#inbox = [];
      this.#inboxHead = 0;
    }
    if (item instanceof Error) throw item;
    if (item.command === "ERROR") throw this.session.error(item);
    return item;
  }

  /**
   * True when a frame can be received now or arrives within `timeout` ms (default 0: no wait), given
   * as a number (stompest's `canRead(timeout)`) or as `{ timeout, signal }`; false when the wait ran
   * out or the signal aborted first. Throws {@link StompConnectionError} when the connection is gone
   * and nothing is left to read.
   *
   * @example
   * ```ts ignore
   * if (await client.canRead({ timeout: 1000, signal })) console.log((await client.receiveFrame()).info());
   * ```
   */
  async canRead(wait: number | StompWaitOptions = 0): Promise<boolean> {
    const { timeout = 0, signal } = typeof wait === "number" ? { timeout: wait } : wait;
    if (this.#available()) return true;
    if (!this.#channel) throw this.#lost ?? new StompConnectionError("not connected");
    if ((timeout <= 0 && signal === undefined) || signal?.aborted) return false;
    try {
      const bound = timeout > 0 ? { timeout, signal } : { signal };
      await deadline((this.#waiter ??= new Deferred<void>()).promise, bound, "canRead");
    } catch {
      return this.#available();
    }
    if (this.#available()) return true;
    if (!this.#channel) throw this.#lost ?? new StompConnectionError("not connected");
    return false;
  }

  /**
   * The token of the subscription a MESSAGE belongs to, as stompest's `message(frame)`: match it
   * against what {@link Stomp.subscribe} returned. A MESSAGE for no active subscription is a
   * {@link StompProtocolError}.
   *
   * @example
   * ```ts ignore
   * const token = await client.subscribe("/queue/a");
   * const frame = await client.receiveFrame();
   * if (frame.command === "MESSAGE" && client.message(frame) === token) console.log(frame.text());
   * ```
   */
  message(frame: StompFrame): StompToken {
    this.session.message(frame); // throws unless an active subscription takes it
    const token = commands.message(frame, this.session.version);
    // A 1.0 broker may name a subscription that was keyed by its destination.
    return this.session.subscription(token) ? token : `destination:${frame.headers.destination}`;
  }

  /**
   * The `receipt-id` of a RECEIPT frame, as stompest's `receipt(frame)` (it was already checked
   * against the outstanding receipts when it arrived).
   *
   * @example
   * ```ts ignore
   * await client.send("/queue/a", "x", {}, "r-1");
   * console.log(client.receipt(await client.receiveFrame())); // "r-1"
   * ```
   */
  receipt(frame: StompFrame): string {
    return commands.receipt(frame);
  }

  /** Writes any frame as it is; the session is not consulted (use the named methods for that). */
  async sendFrame(frame: StompFrame | StompHeartBeat): Promise<void> {
    const channel = this.#open();
    try {
      await channel.send(frame);
    } catch (error) {
      // A frame that cannot be encoded (StompFrameError) was not written: the connection is fine.
      throw error instanceof StompError ? error : new StompConnectionError("write failed", { cause: error });
    }
    this.session.sent();
  }

  /** Sends a heart-beat (STOMP 1.1+). */
  async beat(): Promise<void> {
    this.#open();
    await this.sendFrame(this.session.beat());
  }

  /** Closes the connection without DISCONNECT. `flush: false` keeps subscriptions for the next connect. */
  async close({ flush = true }: { flush?: boolean } = {}): Promise<void> {
    const channel = this.#channel;
    this.#closing = true;
    this.#channel = undefined;
    this.#lost = new StompConnectionError("not connected");
    if (channel) {
      await channel.close();
      await channel.ended;
    }
    this.session.close({ flush });
  }

  /** Closes the client (`await using client = new Stomp(...)`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** When a frame was last sent (ms, the session's clock), or undefined. */
  get lastSent(): number | undefined {
    return this.session.lastSent;
  }

  /** When bytes were last received (ms), or undefined. */
  get lastReceived(): number | undefined {
    return this.session.lastReceived;
  }

  /** The negotiated client heart-beat period in ms (0: none). */
  get clientHeartBeat(): number {
    return this.session.clientHeartBeat;
  }

  /** The negotiated server heart-beat period in ms (0: none). */
  get serverHeartBeat(): number {
    return this.session.serverHeartBeat;
  }
}
