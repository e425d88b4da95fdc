/**
 * The typed errors every layer throws, at the bottom of the tree (imported by every layer, importing
 * nothing). Each carries a `cause` where there is one. The one error that carries a frame,
 * `StompProtocolError`, lives beside the frame in protocol/protocol_error.ts.
 *
 * @module
 */

/**
 * The base class of every error this library throws.
 *
 * @example
 * ```ts
 * import { StompError, StompFrameError } from "./errors.ts";
 * const e = new StompFrameError("bad header line");
 * console.log(e instanceof StompError); // true
 * ```
 */
export class StompError extends Error {
  /** Builds the error; `options.cause` is kept as `cause`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Bytes that are not a valid STOMP frame, a frame that cannot be written (header injection), or a
 * parser limit exceeded (`limit` names it).
 *
 * @example
 * ```ts
 * import { StompFrameError } from "./errors.ts";
 * const e = new StompFrameError("frame too large", { limit: "maxFrameBytes" });
 * console.log(e.limit); // "maxFrameBytes"
 * ```
 */
export class StompFrameError extends StompError {
  /** The parser limit that was exceeded, when that is the reason. */
  readonly limit?: string;
  /**
   * From a parser: how many frames and heart-beats it had queued, and not yet handed out, when it
   * met this bad frame. Taking that many before handling the error keeps the stream's order.
   */
  readonly queuedBefore?: number;
  /** Builds the error; `limit` names an exceeded parser limit. */
  constructor(message: string, options?: ErrorOptions & { limit?: string; queuedBefore?: number }) {
    super(message, options);
    this.limit = options?.limit;
    this.queuedBefore = options?.queuedBefore;
  }
}

/**
 * The connection failed or was lost; `cause` is the underlying I/O error when there is one.
 *
 * @example
 * ```ts
 * import { StompConnectionError } from "./errors.ts";
 * const e = new StompConnectionError("connection lost", { cause: new Error("EOF") });
 * console.log((e.cause as Error).message); // "EOF"
 * ```
 */
export class StompConnectionError extends StompError {}

/**
 * The TLS handshake with the broker failed: the broker refused it (e.g. it requires a client
 * certificate and got none, or one it does not trust), or its certificate could not be verified.
 * `cause` is the runtime's error.
 *
 * @example
 * ```ts
 * import { StompConnectionError, StompTlsHandshakeError } from "./errors.ts";
 * const e = new StompTlsHandshakeError("ssl://h:1: the broker refused the TLS handshake");
 * console.log(e instanceof StompConnectionError); // true
 * ```
 */
export class StompTlsHandshakeError extends StompConnectionError {}

/**
 * Why one broker of a failover URI could not be connected to (see {@link StompConnectTimeout.failures}).
 *
 * @example
 * ```ts
 * import type { StompBrokerFailure } from "./errors.ts";
 * const failure: StompBrokerFailure = { broker: "tcp://a:61613", error: new Error("Connection refused") };
 * ```
 */
export interface StompBrokerFailure {
  /** The broker's URI, e.g. `tcp://127.0.0.1:61613`. */
  readonly broker: string;
  /** Its last failure: a refused or timed-out connection, no CONNECTED in time, an ERROR reply (a `StompProtocolError` with the frame). */
  readonly error: unknown;
}

/**
 * Connecting gave up: the failover sequence ran out of attempts (an attempt is a pass over every broker
 * of the URI), or a connect/CONNECTED wait timed out. `attempts` counts the passes when the failover
 * sequence is the reason, and `failures` then holds each broker's last failure (an ERROR reply is
 * kept there as the `StompProtocolError` carrying the frame, and is the `cause` when there was one).
 *
 * @example
 * ```ts
 * import { StompConnectTimeout } from "./errors.ts";
 * const e = new StompConnectTimeout("gave up after 3 attempts", { attempts: 3 });
 * console.log(e.attempts); // 3
 * ```
 */
export class StompConnectTimeout extends StompConnectionError {
  /** How many connect attempts (passes over the broker list) were made, when known. */
  readonly attempts?: number;
  /** Each broker's last failure, in the order the brokers were last tried, when the sequence ran out. */
  readonly failures?: readonly StompBrokerFailure[];
  /** Builds the error; `attempts` counts the passes made, `failures` says why each broker failed. */
  constructor(
    message: string,
    options?: ErrorOptions & { attempts?: number; failures?: readonly StompBrokerFailure[] },
  ) {
    super(message, options);
    this.attempts = options?.attempts;
    if (options?.failures) this.failures = Object.freeze([...options.failures]);
  }
}

/**
 * A transaction was open when its connection was lost: the broker dropped it, so none of the frames
 * sent in it were committed, and none of them is sent again outside it. Begin a new transaction.
 *
 * @example
 * ```ts
 * import { StompTransactionLostError } from "./errors.ts";
 * const e = new StompTransactionLostError("tx-1");
 * console.log(e.transaction, e instanceof Error); // "tx-1" true
 * ```
 */
export class StompTransactionLostError extends StompConnectionError {
  /** The transaction that is gone. */
  readonly transaction: string;
  /** Builds the error for `transaction`; `cause` is why the connection was lost. */
  constructor(transaction: string, options?: ErrorOptions) {
    super(
      `transaction ${
        JSON.stringify(transaction)
      } was lost with its connection: nothing sent in it was committed`,
      options,
    );
    this.transaction = transaction;
  }
}

/**
 * A wait ended before its event: a timeout ran out or an AbortSignal fired (`cause` is the
 * signal's reason then).
 *
 * @example
 * ```ts
 * import { StompCancelledError } from "./errors.ts";
 * const e = new StompCancelledError("receiveFrame timed out after 100 ms");
 * console.log(e.name); // "StompCancelledError"
 * ```
 */
export class StompCancelledError extends StompError {}

/**
 * A subscription's consumer fell behind with auto acks and its bounded buffer filled: the
 * subscription fails rather than growing without bound (the client's other subscriptions go on).
 * Messages the broker still sent it after that were auto-acked, so they are lost: `dropped` counts
 * them, up to the broker's confirmation of the UNSUBSCRIBE.
 *
 * @example
 * ```ts
 * import { StompSlowConsumerError } from "./errors.ts";
 * const e = new StompSlowConsumerError("buffer of 1000 messages full; 12 dropped", { dropped: 12 });
 * console.log(e.name, e.dropped); // "StompSlowConsumerError" 12
 * ```
 */
export class StompSlowConsumerError extends StompError {
  /** Messages that arrived after the buffer was full and were not handed to the application. */
  readonly dropped: number;
  /** Builds the error; `dropped` counts the messages lost after the overflow (default 0). */
  constructor(message: string, options?: ErrorOptions & { dropped?: number }) {
    super(message, options);
    this.dropped = options?.dropped ?? 0;
  }
}
