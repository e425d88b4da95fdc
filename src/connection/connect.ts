/**
 * Opening a STOMP connection, shared by both clients: walk the failover sequence (sleeping its
 * delays, moving on from a broker that refuses the connection, never answers CONNECTED or answers
 * ERROR), send CONNECT, wait for CONNECTED, settle the version and replay the session's subscriptions.
 *
 * @module
 */

import { StompChannel, type StompChannelHandlers } from "./channel.ts";
import type { StompConfig, StompConnectCredentials } from "./config.ts";
import { selectConnector } from "./connectors/registry.ts";
import {
  type StompBrokerFailure,
  StompCancelledError,
  StompConnectionError,
  StompConnectTimeout,
  StompError,
} from "../errors.ts";
import { StompProtocolError } from "../protocol/protocol_error.ts";
import type { StompFailoverAttempt, StompFailoverTransport } from "../protocol/failover.ts";
import type { StompFrame, StompHeadersInit } from "../protocol/frame.ts";
import { toPairs } from "../protocol/command_checks.ts";
import type { StompSession } from "../protocol/session.ts";
import type { StompVersion } from "../protocol/spec.ts";
import type { StompConnection } from "./transport.ts";
import { brokerUri, type StompBroker } from "../protocol/broker.ts";
import { deadline, Deferred, sleep } from "./wait.ts";
import { checkedHeaders, headerText, OWN_HEADERS } from "./headers.ts";
import { emit } from "./trace.ts";
import { settleWithin } from "./connectors/common.ts";

/**
 * Options of a client's `connect()`; each defaults to the client's {@link StompConfig}.
 *
 * @example
 * ```ts
 * import type { StompClientConnectOptions } from "./connect.ts";
 * const options: StompClientConnectOptions = { versions: ["1.2"], heartBeats: [1000, 1000], connectedTimeout: 5000 };
 * ```
 */
export interface StompClientConnectOptions {
  /**
   * Extra CONNECT headers (e.g. `client-id` for ActiveMQ durable subscriptions), a record or ordered
   * `[name, value]` pairs; they win over the config's.
   */
  readonly headers?: StompHeadersInit;
  /** Versions to offer. */
  readonly versions?: readonly StompVersion[];
  /** The virtual host (`host` header); default `/`, which RabbitMQ needs and ActiveMQ ignores. */
  readonly host?: string;
  /** `[cx, cy]`: how often the client can send and wants to receive heart-beats, in ms. */
  readonly heartBeats?: readonly [number, number];
  /** Milliseconds to open the TCP/TLS/WebSocket connection to one broker. */
  readonly connectTimeout?: number;
  /** Milliseconds to wait for CONNECTED once connected. */
  readonly connectedTimeout?: number;
  /** Aborts the whole connect, including failover sleeps. */
  readonly signal?: AbortSignal;
}

/**
 * What {@link establish} reports besides its result.
 *
 * @example
 * ```ts
 * import type { StompEstablishHooks } from "./connect.ts";
 * const hooks: StompEstablishHooks = { attempt: (broker, delay) => console.log("trying", broker.host, delay) };
 * ```
 */
export interface StompEstablishHooks {
  /** Before each attempt (after its delay was decided). */
  attempt?(broker: StompBroker, delay: number, attempt: number): void;
  /** An attempt failed and the sequence goes on. */
  failed?(broker: StompBroker, error: unknown): void;
}

/**
 * How {@link establish} replays the session's subscriptions after CONNECTED: with their receipts
 * asked again or not, and only those whose context `keep` accepts (default: all).
 *
 * @example
 * ```ts
 * import type { StompReplayOptions } from "./connect.ts";
 * const replay: StompReplayOptions = { receipts: false, keep: (context) => context !== undefined };
 * ```
 */
export interface StompReplayOptions {
  /** Ask again for the receipt each subscription first asked for. */
  readonly receipts: boolean;
  /** Whether a subscription (by its caller context) is still wanted. */
  readonly keep?: (context: unknown) => boolean;
}

/**
 * An open, negotiated connection.
 *
 * @example
 * ```ts
 * import type { StompEstablished } from "./connect.ts";
 * function report(e: StompEstablished) { console.log(e.broker.host, e.connected.headers.version); }
 * ```
 */
export interface StompEstablished {
  /** The channel, already reading. */
  readonly channel: StompChannel;
  /** The broker's CONNECTED frame. */
  readonly connected: StompFrame;
  /** The broker that answered. */
  readonly broker: StompBroker;
}

/**
 * Opens a negotiated connection. Frames after CONNECTED go to `handlers` (switched synchronously
 * on CONNECTED, so none is missed); the session's remembered subscriptions are replayed (as
 * `replay` says) before this resolves. Whatever keeps one broker from answering CONNECTED — a
 * refused or timed-out connection, no CONNECTED within `connectedTimeout`, an ERROR reply, a refused
 * subscription replay — moves on to the next broker of the failover sequence. Running out of
 * attempts rejects with {@link StompConnectTimeout}: its message names each broker's last failure,
 * `failures` holds them, and `cause` is the last ERROR reply ({@link StompProtocolError} with the
 * frame) or else the last failure. An abort rejects at once, and so does a CONNECT the session
 * refuses to build (the same for every broker).
 *
 * @example
 * ```ts ignore
 * const { channel } = await establish(config, transport, session, {}, handlers, { receipts: true });
 * ```
 */
export async function establish(
  config: StompConfig,
  transport: StompFailoverTransport,
  session: StompSession<unknown>,
  options: StompClientConnectOptions,
  handlers: StompChannelHandlers,
  replay: StompReplayOptions,
  hooks: StompEstablishHooks = {},
): Promise<StompEstablished> {
  const signal = options.signal;
  const versions = options.versions ?? config.versions;
  const iterator = transport[Symbol.iterator]();
  const failures = new Map<string, unknown>();
  let lastError: unknown;
  let lastRefusal: StompProtocolError | undefined;
  const failed = (broker: StompBroker, error: unknown) => {
    lastError = error;
    if (error instanceof StompProtocolError && error.frame?.command === "ERROR") lastRefusal = error;
    failures.delete(brokerUri(broker)); // re-inserted: the message lists the brokers as last tried
    failures.set(brokerUri(broker), error);
    hooks.failed?.(broker, error);
  };
  for (;;) {
    let step: IteratorResult<StompFailoverAttempt>;
    try {
      step = iterator.next(lastError);
    } catch (error) {
      throw error instanceof StompConnectTimeout
        ? exhausted(error, failures, lastRefusal ?? lastError)
        : error;
    }
    if (step.done) throw new StompConnectTimeout("the failover sequence ended", { cause: lastError });
    const { broker, delay, attempt } = step.value;
    await sleep(delay, signal);
    hooks.attempt?.(broker, delay, attempt);
    let connection: StompConnection;
    let credentials: StompConnectCredentials;
    try {
      credentials = await beforeConnect(config, broker, attempt, signal);
      const connector = config.connector ?? selectConnector(broker);
      const connectTimeout = options.connectTimeout ?? config.connectTimeout;
      const opening = connector(broker, {
        tls: config.tls,
        connectTimeout,
        signal,
        versions,
        webSocket: config.webSocket,
        subprotocols: config.subprotocols,
        maxWebSocketChunkSize: config.maxWebSocketChunkSize,
      });
      // Enforced here too, so a connector that ignores its timeout cannot hang the client; a
      // connection that opens too late is closed.
      connection = await within(
        opening,
        connectTimeout,
        signal,
        `connecting to ${brokerUri(broker)}`,
        (cause) =>
          new StompConnectionError(`${brokerUri(broker)}: no connection within ${connectTimeout} ms`, {
            cause,
          }),
        // Nobody awaits this close: a failure of it must not become an unhandled rejection.
        () => opening.then((late) => late.close()).catch(() => {}),
      );
    } catch (error) {
      if (signal?.aborted) throw error;
      failed(broker, error);
      continue;
    }
    if (config.tls?.insecure && (broker.protocol === "ssl" || broker.protocol === "wss")) {
      emit(config.trace, {
        type: "warning",
        connection: connection.info,
        message: "tls.insecure: the broker's certificate was NOT verified (development only)",
      });
    }
    try {
      const opened = { broker, connection, credentials };
      return await handshake(config, session, options, versions, opened, handlers, replay);
    } catch (error) {
      session.close({ flush: false });
      // One broker's silence, refusal or hang-up moves on to the next; an abort, a CONNECT that
      // cannot be built (the same for every broker) or a bug ends the connect.
      if (signal?.aborted || !(error instanceof StompError) || LOCAL.has(error)) throw error;
      failed(broker, error);
    }
  }
}

/**
 * Runs `config.beforeConnect` for one attempt and checks what it returned; a throw becomes a
 * {@link StompConnectionError} with the hook's error as `cause`, which fails this attempt only.
 */
async function beforeConnect(
  config: StompConfig,
  broker: StompBroker,
  attempt: number,
  signal: AbortSignal | undefined,
): Promise<StompConnectCredentials> {
  const hook = config.beforeConnect;
  if (!hook) return {};
  let got: StompConnectCredentials | void;
  try {
    got = await hook({ broker, attempt, signal });
    if (got === undefined || got === null) return {};
    if (typeof got !== "object") {
      throw new TypeError(`beforeConnect must return an object, got ${typeof got}`);
    }
    return {
      login: got.login === undefined ? undefined : headerText("login (from beforeConnect)", got.login),
      passcode: got.passcode === undefined
        ? undefined
        : headerText("passcode (from beforeConnect)", got.passcode),
      headers: checkedHeaders("headers (from beforeConnect)", "CONNECT", got.headers, OWN_HEADERS),
    };
  } catch (error) {
    // The message never includes what the hook returned: it may hold the passcode.
    throw new StompConnectionError(`${brokerUri(broker)}: beforeConnect failed: ${errorText(error)}`, {
      cause: error,
    });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Errors raised before anything was sent, which no other broker would change. */
const LOCAL = new WeakSet<object>();

/** The failover sequence's timeout, with each broker's last failure in its message and `failures`. */
function exhausted(
  timeout: StompConnectTimeout,
  failures: ReadonlyMap<string, unknown>,
  cause: unknown,
): StompConnectTimeout {
  const list: StompBrokerFailure[] = [...failures].map(([broker, error]) => ({ broker, error }));
  const reasons = list.map(({ broker, error }) => {
    const text = error instanceof Error ? error.message : String(error);
    return text.includes(broker) ? text : `${broker}: ${text}`;
  });
  const message = reasons.length ? `${timeout.message}: ${reasons.join("; ")}` : timeout.message;
  return new StompConnectTimeout(
    message,
    cause === undefined
      ? { attempts: timeout.attempts, failures: list }
      : { attempts: timeout.attempts, failures: list, cause },
  );
}

async function handshake(
  config: StompConfig,
  session: StompSession<unknown>,
  options: StompClientConnectOptions,
  versions: readonly StompVersion[],
  { broker, connection, credentials }: {
    broker: StompBroker;
    connection: StompConnection;
    credentials: StompConnectCredentials;
  },
  handlers: StompChannelHandlers,
  replay: StompReplayOptions,
): Promise<StompEstablished> {
  const channel = new StompChannel(connection, versions[versions.length - 1], {
    trace: config.trace,
    traceBodies: config.traceBodies,
    limits: config.limits,
  });
  const connected = new Deferred<StompFrame>();
  // The connection may fail (e.g. a TLS refusal read) while CONNECT is still being written, before
  // anything awaits this: it must not count as an unhandled rejection meanwhile.
  connected.promise.catch(() => {});
  let open = false;
  let readFailure: StompConnectionError | undefined;
  channel.start({
    frame(frame) {
      if (open) return handlers.frame(frame);
      try {
        if (frame.command === "ERROR") throw session.error(frame);
        if (frame.command !== "CONNECTED") {
          throw new StompProtocolError(`expected CONNECTED, got ${frame.info()}`);
        }
        session.connected(frame);
        channel.parser.version = session.version;
        open = true;
        connected.resolve(frame);
      } catch (error) {
        connected.reject(error);
      }
    },
    alive: () => handlers.alive?.(),
    frameError(error) {
      if (open) handlers.frameError?.(error);
      else connected.reject(error);
    },
    closed(error) {
      if (open) return handlers.closed(error);
      readFailure = error;
      connected.reject(
        error ?? new StompConnectionError(`${brokerUri(broker)} closed the connection before CONNECTED`),
      );
    },
  });
  const connectedTimeout = options.connectedTimeout ?? config.connectedTimeout;
  try {
    let frame: StompFrame;
    try {
      frame = session.connect({
        command: config.connectCommand,
        login: credentials.login ?? config.login,
        passcode: credentials.passcode ?? config.passcode,
        headers: connectHeaders({ ...config.headers, ...credentials.headers }, options.headers),
        versions,
        host: options.host ?? config.host ?? "/",
        heartBeats: options.heartBeats ?? config.heartBeats,
      });
    } catch (error) {
      if (error instanceof Object) LOCAL.add(error);
      throw error;
    }
    // Written and answered within connectedTimeout: a connection that fails (or a write that never
    // completes) while CONNECT is being written must not hang the connect.
    const sent = channel.send(frame).then(() => session.sent(), async (error) => {
      if (!(error instanceof StompConnectionError)) throw error;
      // A broker that refuses the TLS handshake drops the connection under the CONNECT being
      // written; the read side knows why (e.g. StompTlsHandshakeError), the write only that it failed.
      await settleWithin(channel.ended, WRITE_FAILURE_GRACE_MS);
      throw readFailure ?? error;
    });
    const reply = await within(
      Promise.all([sent, connected.promise]).then(([, frame]) => frame),
      connectedTimeout,
      options.signal,
      "connect",
      () => new StompConnectTimeout(`no CONNECTED from ${brokerUri(broker)} within ${connectedTimeout} ms`),
    );
    for (const sub of session.replay()) {
      if (replay.keep && !replay.keep(sub.context)) continue;
      const receipt = replay.receipts ? sub.receipt : undefined;
      await channel.send(
        session.subscribe(sub.destination, sub.headers, { receipt, context: sub.context }).frame,
      );
    }
    return { channel, connected: reply, broker };
  } catch (error) {
    await channel.close();
    throw error;
  } finally {
    if (!connected.settled) connected.reject(new StompConnectionError("connect abandoned"));
  }
}

/** How long a failed CONNECT write waits for the read side to say why the connection failed. */
const WRITE_FAILURE_GRACE_MS = 1000;

/** deadline() whose timeout (not an abort: that stays StompCancelledError) becomes `onTimeout`'s error. */
function within<T>(
  promise: Promise<T>,
  timeout: number,
  signal: AbortSignal | undefined,
  what: string,
  onTimeout: (cause: StompCancelledError) => Error,
  onCancel?: () => void,
): Promise<T> {
  return deadline(promise, { timeout, signal }, what, onCancel).catch((error) => {
    throw error instanceof StompCancelledError && !signal?.aborted ? onTimeout(error) : error;
  });
}

/** The CONNECT headers of one connect: `given` first (the first of a name wins), then the config's others. */
function connectHeaders(
  config: Readonly<Record<string, string>>,
  given: StompHeadersInit | undefined,
): [string, string][] {
  const pairs = toPairs(given);
  const named = new Set(pairs.map(([name]) => name));
  for (const [name, value] of Object.entries(config)) if (!named.has(name)) pairs.push([name, value]);
  return pairs;
}
