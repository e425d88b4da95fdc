/**
 * {@link StompConfig}: everything a client is built from, with the passcode kept out of every
 * printout.
 *
 * @module
 */

import { StompFailoverUri } from "../protocol/failover.ts";
import { resolveParserLimits, type StompParserLimits } from "../protocol/parser_limits.ts";
import { checkVersion, DEFAULT_VERSION, type StompVersion, VERSIONS } from "../protocol/spec.ts";
import type { StompBroker } from "../protocol/broker.ts";
import type { StompTrace } from "./trace.ts";
import { checkedHeaders, headerText, OWN_HEADERS, RESERVED_DISCONNECT } from "./headers.ts";
import type { StompConnector, StompTlsOptions, StompWebSocketImpl } from "./transport.ts";

/**
 * What {@link StompConfigOptions.beforeConnect} is told: the broker about to be tried, the attempt
 * number within the current connect or reconnect (from 1), and a signal that aborts with the connect.
 *
 * @example
 * ```ts
 * import type { StompBeforeConnectContext } from "./config.ts";
 * const log = (c: StompBeforeConnectContext) => console.log(`attempt ${c.attempt} at ${c.broker.host}`);
 * ```
 */
export interface StompBeforeConnectContext {
  /** The broker about to be tried. */
  readonly broker: StompBroker;
  /** The attempt number within this connect (or reconnect) sequence, from 1. */
  readonly attempt: number;
  /** Aborts when the connect is given up. */
  readonly signal?: AbortSignal;
}

/**
 * What {@link StompConfigOptions.beforeConnect} may return for one CONNECT: each field set replaces
 * the config's (`headers` are added to the config's).
 *
 * @example
 * ```ts
 * import type { StompConnectCredentials } from "./config.ts";
 * const fresh: StompConnectCredentials = { login: "svc", passcode: "token-123", headers: { "client-id": "a" } };
 * ```
 */
export interface StompConnectCredentials {
  /** The CONNECT `login` for this attempt. */
  readonly login?: string;
  /** The CONNECT `passcode` for this attempt; as private as the config's. */
  readonly passcode?: string;
  /** Extra CONNECT headers for this attempt. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Called before every CONNECT (first connect and each reconnect attempt); see
 * {@link StompConfigOptions.beforeConnect}.
 *
 * @example
 * ```ts
 * import type { StompBeforeConnect } from "./config.ts";
 * const fetchToken = () => Promise.resolve("t0k3n");
 * const beforeConnect: StompBeforeConnect = async () => ({ passcode: await fetchToken() });
 * ```
 */
export type StompBeforeConnect = (
  context: StompBeforeConnectContext,
) => Promise<StompConnectCredentials | void> | StompConnectCredentials | void;

/**
 * Milliseconds to open a connection (TCP + TLS, or the WebSocket handshake) when not configured.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONNECT_TIMEOUT } from "./config.ts";
 * console.log(DEFAULT_CONNECT_TIMEOUT); // 10000
 * ```
 */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;

/**
 * Milliseconds to wait for CONNECTED after sending CONNECT when not configured. RabbitMQ answers a
 * wrong passcode only by closing after 10 s, so this is the bound on that wait.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONNECTED_TIMEOUT } from "./config.ts";
 * console.log(DEFAULT_CONNECTED_TIMEOUT); // 10000
 * ```
 */
export const DEFAULT_CONNECTED_TIMEOUT = 10_000;

/**
 * What {@link StompConfig} accepts besides the URI.
 *
 * @example
 * ```ts
 * import type { StompConfigOptions } from "./config.ts";
 * const options: StompConfigOptions = { login: "guest", passcode: "guest", host: "/", heartBeats: [1000, 1000] };
 * ```
 */
export interface StompConfigOptions {
  /** The CONNECT `login` header; left out when undefined. */
  readonly login?: string;
  /** The CONNECT `passcode` header; never printed. */
  readonly passcode?: string;
  /** The highest STOMP version offered (default "1.2"). */
  readonly version?: StompVersion;
  /** Exactly the versions to offer; defaults to every version up to `version`. */
  readonly versions?: readonly StompVersion[];
  /** Whether the session is strict about its state (e.g. no SEND while disconnected); default true. */
  readonly check?: boolean;
  /** TLS settings for ssl:// and wss:// brokers. */
  readonly tls?: StompTlsOptions;
  /** Opens the byte connection; defaults to the runtime's connector for the scheme. */
  readonly connector?: StompConnector;
  /** The CONNECT `host` header (virtual host); the client picks one when undefined. */
  readonly host?: string;
  /** `[cx, cy]` in ms: how often the client can send / wants to receive heart-beats; default [0, 0]. */
  readonly heartBeats?: readonly [number, number];
  /** Milliseconds to open a connection; default {@link DEFAULT_CONNECT_TIMEOUT}. */
  readonly connectTimeout?: number;
  /** Milliseconds to wait for CONNECTED; default {@link DEFAULT_CONNECTED_TIMEOUT}. */
  readonly connectedTimeout?: number;
  /** Extra CONNECT headers (e.g. ActiveMQ's `client-id`): a record or ordered `[name, value]` pairs. */
  readonly headers?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
  /**
   * Parser limits for what the broker sends, each raised or lowered on its own (defaults: body
   * 64 MiB, frame body + 1 MiB, 1000 header lines of 64 KiB; see `resolveParserLimits`). A MESSAGE
   * whose body is over a limit fails alone (`StompFrameTooLargeError`); any other frame over a
   * limit fails the connection with a `StompFrameError` naming the limit.
   */
  readonly limits?: Partial<StompParserLimits>;
  /**
   * Called before every CONNECT, on connect and on each reconnect attempt, with the broker and
   * the attempt number; may return login/passcode/headers for that CONNECT (e.g. a fresh token).
   * A throw (or rejection) fails that attempt with a StompConnectionError whose `cause` is the
   * error, and the failover sequence moves on. Default: none.
   */
  readonly beforeConnect?: StompBeforeConnect;
  /** The frame that opens the session: "CONNECT" (default) or its 1.1+ synonym "STOMP". */
  readonly connectCommand?: "CONNECT" | "STOMP";
  /** Extra DISCONNECT headers (default none). */
  readonly disconnectHeaders?: Readonly<Record<string, string>>;
  /** Reports every frame in and out (secrets redacted) and connection warnings; default none. */
  readonly trace?: StompTrace;
  /** Give the trace hook each frame's body bytes too (default false: lengths only). */
  readonly traceBodies?: boolean;
  /** The WebSocket for ws:// and wss:// instead of the runtime's (Node 20: the `ws` package); default none. */
  readonly webSocket?: StompWebSocketImpl;
  /** WebSocket subprotocols to offer; default `v12.stomp`, `v11.stomp`, `v10.stomp` per offered version. */
  readonly subprotocols?: readonly string[];
  /** Split outgoing frames into WebSocket messages of at most this many bytes; default: no split. */
  readonly maxWebSocketChunkSize?: number;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  "login",
  "passcode",
  "version",
  "versions",
  "check",
  "tls",
  "connector",
  "host",
  "heartBeats",
  "connectTimeout",
  "connectedTimeout",
  "headers",
  "limits",
  "beforeConnect",
  "connectCommand",
  "disconnectHeaders",
  "trace",
  "traceBodies",
  "webSocket",
  "subprotocols",
  "maxWebSocketChunkSize",
]);
const TLS_VERSIONS: ReadonlySet<string> = new Set(["TLSv1.2", "TLSv1.3"]);

const denoInspect = Symbol.for("Deno.customInspect");
const nodeInspect = Symbol.for("nodejs.util.inspect.custom");

function timeout(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`option ${name} must be a finite number of milliseconds > 0, got ${String(value)}`);
  }
  return value;
}

function optionVersion(name: string, value: unknown): StompVersion {
  if (typeof value !== "string") {
    throw new TypeError(`option ${name}: a version must be a string, got ${typeof value}`);
  }
  try {
    return checkVersion(value);
  } catch (e) {
    throw new TypeError(`option ${name}: ${(e as Error).message}`, { cause: e });
  }
}

function chooseVersions(version: unknown, versions: unknown): [StompVersion, readonly StompVersion[]] {
  const rank = (v: StompVersion) => VERSIONS.indexOf(v);
  const highest = version === undefined ? undefined : optionVersion("version", version);
  if (versions === undefined) {
    const top = highest ?? DEFAULT_VERSION;
    return [top, Object.freeze(VERSIONS.filter((v) => rank(v) <= rank(top)))];
  }
  if (!Array.isArray(versions) || versions.length === 0) {
    throw new TypeError("option versions must be a non-empty array of STOMP versions");
  }
  const list = versions.map((v) => optionVersion("versions", v));
  if (new Set(list).size !== list.length) throw new TypeError(`option versions repeats a version: ${list}`);
  list.sort((a, b) => rank(a) - rank(b));
  const top = list[list.length - 1];
  if (highest !== undefined && rank(top) > rank(highest)) {
    throw new TypeError(`option versions offers ${top}, above option version ${highest}`);
  }
  return [highest ?? top, Object.freeze(list)];
}

/**
 * Everything a client is built from: the failover URI, credentials, versions, TLS, connector,
 * timeouts. Validated when built (a TypeError names the bad option). The passcode lives in a
 * private field: `toString()`, `info()`, `JSON.stringify`, Deno's and Node's `console.log` and every
 * error leave it out.
 *
 * @example
 * ```ts
 * import { StompConfig } from "./config.ts";
 * const config = new StompConfig("failover:(tcp://127.0.0.1:61613)?maxReconnectAttempts=5", {
 *   login: "guest",
 *   passcode: "guest",
 *   host: "/",
 *   version: "1.2",
 * });
 * console.log(config.info()); // "uri=failover:(tcp://127.0.0.1:61613)?maxReconnectAttempts=5 login=guest version=1.2"
 * console.log(config.uri.brokers[0].port, config.versions); // 61613 ["1.0", "1.1", "1.2"]
 * ```
 */
export class StompConfig {
  /** The parsed failover URI. */
  readonly uri: StompFailoverUri;
  /** The CONNECT `login`, if any. */
  readonly login?: string;
  /** The highest version offered. */
  readonly version: StompVersion;
  /** The versions offered, oldest first (the CONNECT `accept-version`). */
  readonly versions: readonly StompVersion[];
  /** Whether the session is strict about its state. */
  readonly check: boolean;
  /** TLS settings for ssl:// and wss:// brokers. */
  readonly tls?: StompTlsOptions;
  /** The connector to use instead of the runtime's default. */
  readonly connector?: StompConnector;
  /** The CONNECT `host` header, if set. */
  readonly host?: string;
  /** `[cx, cy]` heart-beat wish in milliseconds. */
  readonly heartBeats: readonly [number, number];
  /** Milliseconds to open a connection. */
  readonly connectTimeout: number;
  /** Milliseconds to wait for CONNECTED. */
  readonly connectedTimeout: number;
  /** Extra CONNECT headers (frozen). */
  readonly headers: Readonly<Record<string, string>>;
  /** The parser limits, completed and checked (frozen). */
  readonly limits: StompParserLimits;
  /** Called before every CONNECT, if set. */
  readonly beforeConnect?: StompBeforeConnect;
  /** "CONNECT" or "STOMP". */
  readonly connectCommand: "CONNECT" | "STOMP";
  /** Extra DISCONNECT headers (frozen). */
  readonly disconnectHeaders: Readonly<Record<string, string>>;
  /** The trace hook, if set. */
  readonly trace?: StompTrace;
  /** Whether traced frames carry their body bytes. */
  readonly traceBodies: boolean;
  /** The WebSocket implementation, if set. */
  readonly webSocket?: StompWebSocketImpl;
  /** WebSocket subprotocols, if set. */
  readonly subprotocols?: readonly string[];
  /** The WebSocket message size limit for outgoing frames, if set. */
  readonly maxWebSocketChunkSize?: number;
  readonly #passcode?: string;

  /** Validates and stores the settings; throws a TypeError naming the first bad option. */
  constructor(uri: string | StompFailoverUri, options: StompConfigOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("StompConfig options must be an object");
    }
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(key)) {
        throw new TypeError(
          `unknown StompConfig option ${JSON.stringify(key)} (known: ${[...KNOWN_OPTIONS]})`,
        );
      }
    }
    this.uri = uri instanceof StompFailoverUri ? uri : new StompFailoverUri(uri);
    const o = options;
    if (o.login !== undefined) this.login = headerText("login", o.login);
    if (o.passcode !== undefined) this.#passcode = headerText("passcode", o.passcode);
    [this.version, this.versions] = chooseVersions(o.version, o.versions);
    if (o.check !== undefined && typeof o.check !== "boolean") {
      throw new TypeError(`option check must be a boolean, got ${typeof o.check}`);
    }
    this.check = o.check ?? true;
    if (o.tls !== undefined) {
      if (o.tls === null || typeof o.tls !== "object") throw new TypeError("option tls must be an object");
      if (o.tls.caCerts !== undefined && !(Array.isArray(o.tls.caCerts) && o.tls.caCerts.every(isString))) {
        throw new TypeError("option tls.caCerts must be an array of PEM strings");
      }
      if (o.tls.hostname !== undefined && !isString(o.tls.hostname)) {
        throw new TypeError("option tls.hostname must be a string");
      }
      if ((o.tls.cert === undefined) !== (o.tls.key === undefined)) {
        throw new TypeError("options tls.cert and tls.key go together (PEM certificate and its key)");
      }
      for (const name of ["cert", "key"] as const) {
        const pem = o.tls[name];
        if (pem !== undefined && !(isString(pem) && pem.includes("-----BEGIN "))) {
          throw new TypeError(`option tls.${name} must be a PEM string (-----BEGIN ...)`);
        }
      }
      if (o.tls.insecure !== undefined && typeof o.tls.insecure !== "boolean") {
        throw new TypeError("option tls.insecure must be a boolean");
      }
      if (o.tls.minVersion !== undefined && !TLS_VERSIONS.has(o.tls.minVersion)) {
        throw new TypeError(
          `option tls.minVersion must be one of ${[...TLS_VERSIONS]}, got ${o.tls.minVersion}`,
        );
      }
      this.tls = Object.freeze({ ...o.tls });
    }
    if (o.connector !== undefined && typeof o.connector !== "function") {
      throw new TypeError("option connector must be a function");
    }
    this.connector = o.connector;
    if (o.host !== undefined) this.host = headerText("host", o.host);
    const hb = o.heartBeats ?? [0, 0];
    if (!Array.isArray(hb) || hb.length !== 2 || !hb.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw new TypeError(`option heartBeats must be [cx, cy] in whole milliseconds >= 0, got ${String(hb)}`);
    }
    this.heartBeats = Object.freeze([hb[0], hb[1]] as const);
    this.connectTimeout = timeout("connectTimeout", o.connectTimeout, DEFAULT_CONNECT_TIMEOUT);
    this.connectedTimeout = timeout("connectedTimeout", o.connectedTimeout, DEFAULT_CONNECTED_TIMEOUT);
    this.headers = Object.freeze(checkedHeaders("headers", "CONNECT", o.headers, OWN_HEADERS));
    try {
      this.limits = resolveParserLimits(o.limits);
    } catch (e) {
      throw new TypeError(`option limits: ${(e as Error).message}`, { cause: e });
    }
    if (o.beforeConnect !== undefined && typeof o.beforeConnect !== "function") {
      throw new TypeError("option beforeConnect must be a function");
    }
    this.beforeConnect = o.beforeConnect;
    if (o.connectCommand !== undefined && o.connectCommand !== "CONNECT" && o.connectCommand !== "STOMP") {
      throw new TypeError(
        `option connectCommand must be "CONNECT" or "STOMP", got ${String(o.connectCommand)}`,
      );
    }
    this.connectCommand = o.connectCommand ?? "CONNECT";
    if (this.connectCommand === "STOMP" && this.versions.length === 1 && this.versions[0] === "1.0") {
      throw new TypeError('option connectCommand "STOMP" needs STOMP 1.1 or later among the versions');
    }
    this.disconnectHeaders = Object.freeze(
      checkedHeaders("disconnectHeaders", "DISCONNECT", o.disconnectHeaders, RESERVED_DISCONNECT),
    );
    if (o.trace !== undefined && typeof o.trace !== "function") {
      throw new TypeError("option trace must be a function");
    }
    this.trace = o.trace;
    if (o.traceBodies !== undefined && typeof o.traceBodies !== "boolean") {
      throw new TypeError("option traceBodies must be a boolean");
    }
    this.traceBodies = o.traceBodies ?? false;
    if (o.webSocket !== undefined && typeof o.webSocket !== "function") {
      throw new TypeError("option webSocket must be a WebSocket class or a function returning a socket");
    }
    this.webSocket = o.webSocket;
    if (o.subprotocols !== undefined) {
      if (
        !Array.isArray(o.subprotocols) ||
        !o.subprotocols.every((p) => isString(p) && /^[!#-'*+.0-9A-Z^-z|~-]+$/.test(p))
      ) {
        throw new TypeError("option subprotocols must be an array of WebSocket subprotocol tokens");
      }
      this.subprotocols = Object.freeze([...o.subprotocols]);
    }
    const chunk = o.maxWebSocketChunkSize;
    if (chunk !== undefined && !(Number.isSafeInteger(chunk) && chunk > 0)) {
      throw new TypeError(
        `option maxWebSocketChunkSize must be a whole number of bytes > 0, got ${String(chunk)}`,
      );
    }
    this.maxWebSocketChunkSize = chunk;
  }

  /** The CONNECT `passcode`, if any. Deliberately an accessor on a private field: never enumerated. */
  get passcode(): string | undefined {
    return this.#passcode;
  }

  /** `uri=… login=… version=…`, safe for logs. */
  info(): string {
    const login = this.login === undefined ? "" : ` login=${this.login}`;
    const insecure = this.tls?.insecure ? " tls=INSECURE(no certificate verification)" : "";
    return `uri=${this.uri}${login} version=${this.version}${insecure}`;
  }

  /** `StompConfig(uri=… login=… version=…)`, safe for logs. */
  toString(): string {
    return `StompConfig(${this.info()})`;
  }

  /** What JSON.stringify shows: the settings, with the passcode and header values masked. */
  toJSON(): Record<string, unknown> {
    return {
      uri: this.uri.toString(),
      login: this.login,
      passcode: this.#passcode === undefined ? undefined : "***",
      version: this.version,
      versions: this.versions,
      check: this.check,
      host: this.host,
      heartBeats: this.heartBeats,
      connectTimeout: this.connectTimeout,
      connectedTimeout: this.connectedTimeout,
      tls: this.tls === undefined ? undefined : {
        hostname: this.tls.hostname,
        caCerts: this.tls.caCerts?.length ?? 0,
        // The key is a secret: only whether a client certificate is set.
        clientCert: this.tls.cert !== undefined,
        insecure: this.tls.insecure ?? false,
        minVersion: this.tls.minVersion,
      },
      connector: this.connector === undefined ? undefined : this.connector.name || "custom",
      // Extra headers may carry tokens: show which are set, not their values.
      headers: Object.keys(this.headers),
      limits: this.limits,
      disconnectHeaders: Object.keys(this.disconnectHeaders),
      connectCommand: this.connectCommand,
      beforeConnect: this.beforeConnect !== undefined,
      trace: this.trace !== undefined,
      subprotocols: this.subprotocols,
      maxWebSocketChunkSize: this.maxWebSocketChunkSize,
    };
  }

  /** Deno's console.log: the masked settings. */
  [denoInspect](): string {
    return `StompConfig ${JSON.stringify(this.toJSON())}`;
  }

  /** Node's console.log / util.inspect: the masked settings. */
  [nodeInspect](): string {
    return `StompConfig ${JSON.stringify(this.toJSON())}`;
  }
}

function isString(x: unknown): x is string {
  return typeof x === "string";
}
