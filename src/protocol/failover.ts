/**
 * The failover URI (ActiveMQ's syntax, as stompest read it) and the broker/delay sequence a client
 * walks through to connect. Pure logic: no I/O, no timers; the client does the sleeping.
 *
 * @module
 */

import { StompConnectTimeout } from "../errors.ts";
import type { StompBroker } from "./broker.ts";

/**
 * The failover options, all in milliseconds or counts.
 *
 * @example
 * ```ts
 * import { StompFailoverUri } from "./failover.ts";
 * const o = new StompFailoverUri("tcp://localhost:61613?maxReconnectAttempts=3").options;
 * console.log(o.maxReconnectAttempts, o.initialReconnectDelay); // 3 10
 * ```
 */
export interface StompFailoverOptions {
  /** Delay before the first retry (the very first attempt has none). */
  readonly initialReconnectDelay: number;
  /** Cap on any delay. */
  readonly maxReconnectDelay: number;
  /** Multiply the delay by `backOffMultiplier` after each retry. */
  readonly useExponentialBackOff: boolean;
  /** The backoff factor (at least 1). */
  readonly backOffMultiplier: number;
  /**
   * Retries once a connect ever succeeded, counted as ActiveMQ counts them: one attempt is a pass over
   * every broker of the list. -1 forever, 0 none (one pass), N: N more passes after the first.
   */
  readonly maxReconnectAttempts: number;
  /** Retries while no connect ever succeeded, same meaning as `maxReconnectAttempts` (passes). */
  readonly startupMaxReconnectAttempts: number;
  /** Up to this many milliseconds of random delay are added to each retry delay (before the cap). */
  readonly reconnectDelayJitter: number;
  /** Shuffle the broker list on every pass. */
  readonly randomize: boolean;
  /** Try local hosts (localhost, 127.x, ::1) before remote ones. */
  readonly priorityBackup: boolean;
}

/**
 * The option defaults (ActiveMQ's, as stompest used them).
 *
 * @example
 * ```ts
 * import { DEFAULT_FAILOVER_OPTIONS } from "./failover.ts";
 * console.log(DEFAULT_FAILOVER_OPTIONS.maxReconnectDelay); // 30000
 * ```
 */
export const DEFAULT_FAILOVER_OPTIONS: StompFailoverOptions = Object.freeze({
  initialReconnectDelay: 10,
  maxReconnectDelay: 30000,
  useExponentialBackOff: true,
  backOffMultiplier: 2.0,
  maxReconnectAttempts: -1,
  startupMaxReconnectAttempts: 0,
  reconnectDelayJitter: 0,
  randomize: true,
  priorityBackup: false,
});

type OptionValue = number | boolean;
interface OptionParser {
  readonly expected: string;
  /** The parsed value, or undefined when the text is not acceptable. */
  readonly parse: (text: string) => OptionValue | undefined;
}

// Strict grammars: Number("") is 0 and Number("1e3") is 1000, neither of which a URI author meant.
const millis: OptionParser = {
  expected: "a whole number of milliseconds >= 0",
  parse: (t) => /^\d+$/.test(t) ? Number(t) : undefined,
};
const attempts: OptionParser = {
  expected: "a whole number >= -1 (-1 = forever)",
  parse: (t) => /^(?:-1|\d+)$/.test(t) ? Number(t) : undefined,
};
const bool: OptionParser = {
  expected: '"true" or "false"',
  parse: (t) => t === "true" ? true : t === "false" ? false : undefined,
};
const factor: OptionParser = {
  expected: "a number >= 1",
  parse: (t) => /^\d+(?:\.\d+)?$/.test(t) && Number(t) >= 1 ? Number(t) : undefined,
};

const OPTION_PARSERS: Readonly<Record<keyof StompFailoverOptions, OptionParser>> = Object.freeze({
  initialReconnectDelay: millis,
  maxReconnectDelay: millis,
  useExponentialBackOff: bool,
  backOffMultiplier: factor,
  maxReconnectAttempts: attempts,
  startupMaxReconnectAttempts: attempts,
  reconnectDelayJitter: millis,
  randomize: bool,
  priorityBackup: bool,
});

const SCHEMES: ReadonlySet<string> = new Set(["tcp", "ssl", "ws", "wss"]);
const FAILOVER_PREFIX = "failover:";
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[0-9A-Za-z._~-]+)?$/;
const WS_PATH = /^\/[^\s?#]*$/;

const quote = (text: string) => JSON.stringify(text);
const bad = (uri: string, why: string) => new TypeError(`invalid failover URI ${quote(uri)}: ${why}`);

function parseOptions(uri: string, query: string | undefined): StompFailoverOptions {
  const options: Record<string, OptionValue> = { ...DEFAULT_FAILOVER_OPTIONS };
  if (query === undefined || query === "") return Object.freeze(options) as unknown as StompFailoverOptions;
  const seen = new Set<string>();
  // ActiveMQ separates options with "&", stompest with ","; neither character occurs inside a value.
  for (const pair of query.split(/[&,]/)) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (name === "") throw bad(uri, `empty option name in ${quote(pair)}`);
    if (!Object.hasOwn(OPTION_PARSERS, name)) {
      const known = Object.keys(OPTION_PARSERS).join(", ");
      throw bad(uri, `unknown option ${quote(name)} (supported: ${known})`);
    }
    if (seen.has(name)) throw bad(uri, `option ${quote(name)} given twice`);
    seen.add(name);
    const parser = OPTION_PARSERS[name as keyof StompFailoverOptions];
    const value = eq < 0 ? undefined : parser.parse(pair.slice(eq + 1));
    if (value === undefined) {
      const got = eq < 0 ? "no value" : quote(pair.slice(eq + 1));
      throw bad(uri, `option ${quote(name)} needs ${parser.expected}, got ${got}`);
    }
    options[name] = value;
  }
  return Object.freeze(options) as unknown as StompFailoverOptions;
}

function parseBroker(uri: string, text: string): StompBroker {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(text);
  if (!m) throw bad(uri, `broker ${quote(text)} is not scheme://host:port`);
  const protocol = m[1].toLowerCase();
  if (!SCHEMES.has(protocol)) {
    throw bad(uri, `unsupported scheme ${quote(m[1])} (supported: ${[...SCHEMES].join(", ")})`);
  }
  const rest = m[2];
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? undefined : rest.slice(slash);
  let host: string;
  let portPart: string;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close < 0) throw bad(uri, `unclosed "[" in broker ${quote(text)}`);
    host = authority.slice(1, close);
    portPart = authority.slice(close + 1);
    if (!IPV6.test(host) || !host.includes(":")) {
      throw bad(uri, `${quote(host)} in broker ${quote(text)} is not an IPv6 address`);
    }
  } else {
    const colon = authority.indexOf(":");
    if (colon !== authority.lastIndexOf(":")) {
      throw bad(uri, `IPv6 address in broker ${quote(text)} must be in brackets, e.g. tcp://[::1]:61613`);
    }
    host = colon < 0 ? authority : authority.slice(0, colon);
    portPart = colon < 0 ? "" : authority.slice(colon);
    if (host === "") throw bad(uri, `missing host in broker ${quote(text)}`);
    if (!HOST_NAME.test(host)) throw bad(uri, `bad host ${quote(host)} in broker ${quote(text)}`);
  }
  if (portPart === "" || portPart === ":") throw bad(uri, `missing port in broker ${quote(text)}`);
  if (!/^:\d+$/.test(portPart)) {
    throw bad(uri, `bad port ${quote(portPart.replace(/^:/, ""))} in broker ${quote(text)}`);
  }
  const port = Number(portPart.slice(1));
  if (port < 1 || port > 65535) {
    throw bad(uri, `port ${port} out of range (1-65535) in broker ${quote(text)}`);
  }
  if (protocol === "ws" || protocol === "wss") {
    if (path !== undefined && !WS_PATH.test(path)) {
      throw bad(uri, `bad path ${quote(path)} in ${quote(text)}`);
    }
    return Object.freeze({ protocol, host, port, path: path ?? "/" });
  }
  if (path !== undefined) throw bad(uri, `a path is only allowed for ws/wss brokers, not in ${quote(text)}`);
  return Object.freeze({ protocol: protocol as StompBroker["protocol"], host, port });
}

function parse(uri: string): { brokers: readonly StompBroker[]; options: StompFailoverOptions } {
  if (typeof uri !== "string") throw new TypeError(`a failover URI must be a string, got ${typeof uri}`);
  // Credentials would end up in every log line and error that names the URI, so refuse them
  // without echoing the text.
  if (uri.includes("@")) {
    throw new TypeError(
      "a failover URI cannot carry credentials (user@host): use StompConfig login/passcode",
    );
  }
  if (/\s/.test(uri)) throw bad(uri, "whitespace is not allowed");
  const prefixed = uri.startsWith(FAILOVER_PREFIX);
  const body = prefixed ? uri.slice(FAILOVER_PREFIX.length) : uri;
  let list: string;
  let query: string | undefined;
  if (prefixed && body.startsWith("(")) {
    const close = body.indexOf(")");
    if (close < 0) throw bad(uri, `missing ")"`);
    list = body.slice(1, close);
    const after = body.slice(close + 1);
    if (after !== "" && !after.startsWith("?")) throw bad(uri, `unexpected ${quote(after)} after ")"`);
    query = after === "" ? undefined : after.slice(1);
    if (list.includes("?")) throw bad(uri, "per-broker options inside the parentheses are not supported");
  } else {
    const q = body.indexOf("?");
    list = q < 0 ? body : body.slice(0, q);
    query = q < 0 ? undefined : body.slice(q + 1);
    if (/[()]/.test(list)) throw bad(uri, "unbalanced parentheses");
  }
  if (list === "") throw bad(uri, "no broker given");
  const brokers = Object.freeze(list.split(",").map((b) => parseBroker(uri, b)));
  return { brokers, options: parseOptions(uri, query) };
}

const denoInspect = Symbol.for("Deno.customInspect");
const nodeInspect = Symbol.for("nodejs.util.inspect.custom");

/**
 * A parsed failover URI: its brokers and options. Accepts
 * `failover:(tcp://a:61613,ssl://b:61614)?opt=v&opt=v`, `failover:tcp://a:61613,tcp://b:61613?opt=v,opt=v`
 * and a plain `tcp://h:61613?opt=v`. Schemes tcp, ssl, ws, wss (ws/wss keep their path, `/` when
 * none); hosts may be names, IPv4 or bracketed IPv6. Every problem (bad scheme, missing or out of
 * range port, unknown option, bad value) is a TypeError from the constructor naming it.
 *
 * @example
 * ```ts
 * import { StompFailoverUri } from "./failover.ts";
 * const uri = new StompFailoverUri("failover:(tcp://[::1]:61613,ws://b:15674/ws)?randomize=false");
 * console.log(uri.brokers[0].host, uri.brokers[1].path, uri.options.randomize); // "::1" "/ws" false
 * ```
 */
export class StompFailoverUri {
  /** The brokers in the order given (frozen). */
  readonly brokers: readonly StompBroker[];
  /** Every option, defaults filled in (frozen). */
  readonly options: StompFailoverOptions;
  readonly #text: string;

  /** Parses `uri` (or copies another StompFailoverUri); throws a TypeError naming what is wrong. */
  constructor(uri: string | StompFailoverUri) {
    this.#text = uri instanceof StompFailoverUri ? uri.#text : uri;
    const { brokers, options } = parse(this.#text);
    this.brokers = brokers;
    this.options = options;
  }

  /** The URI text as given. */
  toString(): string {
    return this.#text;
  }

  /** The URI text as given, so JSON shows the URI rather than the parsed parts. */
  toJSON(): string {
    return this.#text;
  }

  /** Shows the URI text in Deno's console.log. */
  [denoInspect](): string {
    return `StompFailoverUri(${quote(this.#text)})`;
  }

  /** Shows the URI text in Node's console.log. */
  [nodeInspect](): string {
    return `StompFailoverUri(${quote(this.#text)})`;
  }
}

/**
 * Whether `host` names this machine by a loopback name or address: `localhost` (and `*.localhost`),
 * 127.0.0.0/8, `::1` in any spelling, `::ffff:127.x.x.x`. No name resolution (this module does no I/O).
 *
 * @example
 * ```ts
 * import { isLocalHost } from "./failover.ts";
 * console.log(isLocalHost("127.0.1.1"), isLocalHost("0:0:0:0:0:0:0:1"), isLocalHost("example.org")); // true true false
 * ```
 */
export function isLocalHost(host: string): boolean {
  const h = host.toLowerCase().replace(/%.*$/, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (/^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  if (!/^[0-9a-f:]+$/.test(h)) return false;
  const halves = h.split("::");
  if (halves.length > 2) return false;
  const groups = (s: string) => s === "" ? [] : s.split(":");
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return false;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  return all.every((g, i) => /^[0-9a-f]{1,4}$/.test(g) && parseInt(g, 16) === (i === 7 ? 1 : 0));
}

/**
 * One step of a connect sequence: the broker to try and how long to wait before trying it.
 *
 * @example
 * ```ts
 * import type { StompFailoverAttempt } from "./failover.ts";
 * const a: StompFailoverAttempt = { broker: { protocol: "tcp", host: "h", port: 61613 }, delay: 0, attempt: 1 };
 * ```
 */
export interface StompFailoverAttempt {
  /** The broker to try. */
  readonly broker: StompBroker;
  /** Milliseconds to wait before trying (0 for the first broker of a sequence). */
  readonly delay: number;
  /** The attempt (pass over the broker list) this try belongs to: 1 for the first pass, 2 for the first retry. */
  readonly attempt: number;
}

/**
 * Hooks for tests and special set-ups.
 *
 * @example
 * ```ts
 * import type { StompFailoverTransportOptions } from "./failover.ts";
 * const options: StompFailoverTransportOptions = { random: () => 0.5 };
 * ```
 */
export interface StompFailoverTransportOptions {
  /** Source of numbers in [0, 1) for shuffling and jitter; defaults to Math.random. */
  readonly random?: () => number;
  /** Decides which hosts `priorityBackup` prefers; defaults to {@link isLocalHost}. */
  readonly isLocalHost?: (host: string) => boolean;
}

/**
 * The failover sequence. Each `[Symbol.iterator]()` call starts a new connect sequence yielding
 * `{ broker, delay, attempt }`: the first broker without delay, then every further try with
 * `delay = min(current + random() × reconnectDelayJitter, maxReconnectDelay)`, `current` starting at
 * `initialReconnectDelay` and multiplied by `backOffMultiplier` after each try (with
 * `useExponentialBackOff`). Every pass over the broker list is reshuffled (`randomize`), local hosts
 * first when `priorityBackup` (shuffled within the local and the remote group).
 *
 * Attempts are counted as ActiveMQ's failover transport counts them: one attempt is a pass over every
 * broker of the list, so a failover URI never gives up while it has not tried each of its brokers.
 * The retry limit of a sequence is `startupMaxReconnectAttempts` until the client reports a
 * successful connect with {@link StompFailoverTransport.connected}, and `maxReconnectAttempts`
 * afterwards (ActiveMQ's meaning; stompest switched after its first sequence even when that one
 * failed): 0 is one pass, N is N passes more. Past the limit the iterator throws a
 * {@link StompConnectTimeout} whose `attempts` counts the passes; its `cause` is the last value passed
 * to the iterator's `next()` (the client may hand the last connect error back that way; `for...of`
 * passes nothing).
 *
 * @example
 * ```ts
 * import { StompFailoverTransport } from "./failover.ts";
 * const failover = new StompFailoverTransport(
 *   "failover:(tcp://remote1:61615,tcp://localhost:61616)?randomize=false&startupMaxReconnectAttempts=3",
 * );
 * async function connect(tryBroker: (host: string, port: number) => Promise<boolean>) {
 *   const steps = failover[Symbol.iterator]();
 *   let failure: unknown;
 *   for (;;) {
 *     const { broker, delay } = steps.next(failure).value; // throws StompConnectTimeout past the limit
 *     await new Promise((resolve) => setTimeout(resolve, delay));
 *     if (await tryBroker(broker.host, broker.port)) break;
 *     failure = new Error(`${broker.host} refused`);
 *   }
 *   failover.connected(); // the next sequence uses maxReconnectAttempts
 * }
 * ```
 */
export class StompFailoverTransport implements Iterable<StompFailoverAttempt> {
  /** The parsed URI. */
  readonly uri: StompFailoverUri;
  readonly #random: () => number;
  readonly #isLocal: (host: string) => boolean;
  #everConnected = false;

  /** Parses `uri` now, so a bad URI or option throws here rather than on the first iteration. */
  constructor(uri: string | StompFailoverUri, options: StompFailoverTransportOptions = {}) {
    this.uri = uri instanceof StompFailoverUri ? uri : new StompFailoverUri(uri);
    const { random = Math.random, isLocalHost: isLocal = isLocalHost } = options;
    if (typeof random !== "function") throw new TypeError("option random must be a function");
    if (typeof isLocal !== "function") throw new TypeError("option isLocalHost must be a function");
    this.#random = random;
    this.#isLocal = isLocal;
  }

  /** Records a successful connect: sequences started from now on use `maxReconnectAttempts`. */
  connected(): void {
    this.#everConnected = true;
  }

  /** Whether {@link StompFailoverTransport.connected} was ever called. */
  get everConnected(): boolean {
    return this.#everConnected;
  }

  /** The option that limits the retries of the next sequence. */
  get retryLimit(): "startupMaxReconnectAttempts" | "maxReconnectAttempts" {
    return this.#everConnected ? "maxReconnectAttempts" : "startupMaxReconnectAttempts";
  }

  /** Starts a new connect sequence; see the class documentation. */
  *[Symbol.iterator](): Generator<StompFailoverAttempt, never, unknown> {
    const o = this.uri.options;
    const limitName = this.retryLimit;
    const maxRetries = o[limitName];
    let current = o.initialReconnectDelay;
    let tries = 0;
    let cause: unknown = undefined;
    for (let pass = 1;; pass++) {
      if (pass > 1 && maxRetries !== -1 && pass - 1 > maxRetries) {
        const passes = pass - 1;
        const brokers = this.uri.brokers.length;
        const message =
          `gave up connecting to ${this.uri} after ${passes} attempt${passes === 1 ? "" : "s"} ` +
          `(${tries} ${tries === 1 ? "try" : "tries"} over ${brokers} broker${brokers === 1 ? "" : "s"}; ` +
          `${limitName}=${maxRetries})`;
        throw new StompConnectTimeout(
          message,
          cause === undefined ? { attempts: passes } : { attempts: passes, cause },
        );
      }
      for (const broker of this.#pass()) {
        let delay = 0;
        if (tries > 0) {
          const jitter = o.reconnectDelayJitter > 0 ? this.#draw() * o.reconnectDelayJitter : 0;
          delay = Math.min(current + jitter, o.maxReconnectDelay);
          if (o.useExponentialBackOff) current *= o.backOffMultiplier;
        }
        tries++;
        const sent = yield Object.freeze({ broker, delay, attempt: pass });
        if (sent !== undefined) cause = sent;
      }
    }
  }

  /** A short description for logs. */
  toString(): string {
    return `StompFailoverTransport(${this.uri})`;
  }

  #pass(): StompBroker[] {
    const { randomize, priorityBackup } = this.uri.options;
    const brokers = [...this.uri.brokers];
    const order = (list: StompBroker[]) => randomize ? this.#shuffle(list) : list;
    if (!priorityBackup) return order(brokers);
    const local = brokers.filter((b) => this.#isLocal(b.host));
    const remote = brokers.filter((b) => !this.#isLocal(b.host));
    return [...order(local), ...order(remote)];
  }

  /** Fisher–Yates from the last index down, one draw per swap position. */
  #shuffle(list: StompBroker[]): StompBroker[] {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(this.#draw() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    return list;
  }

  #draw(): number {
    const r = this.#random();
    if (!(typeof r === "number" && r >= 0 && r < 1)) {
      throw new RangeError(`random() returned ${String(r)}; it must return a number in [0, 1)`);
    }
    return r;
  }
}
