/**
 * Stateless STOMP commands: builders for every client frame and checks for every server frame.
 * Each per-version decision is a lookup in {@link SPEC}; {@link StompSession} adds the state.
 * The builders live here; the server-frame checks live in `server_frames.ts` and are re-exported.
 *
 * @example
 * ```ts
 * import * as commands from "./commands.ts";
 * const { frame, token } = commands.subscribe("/queue/a", { id: "s1", ack: "client-individual" }, undefined, "1.2");
 * console.log(frame.command, token); // "SUBSCRIBE" "id:s1"
 * ```
 *
 * @module
 */

import {
  checkClientCommand,
  checkCommand,
  checkText,
  fail,
  getHeader,
  isBeat,
  type Pairs,
  requireHeader,
  setHeader,
  toPairs,
  toVersion,
  toVersions,
  withReceipt,
} from "./command_checks.ts";
import { type StompBody, StompFrame, type StompHeadersInit, StompHeartBeat } from "./frame.ts";
import { encodeText } from "./pool.ts";
import { parseHeartBeat, type StompToken } from "./server_frames.ts";
import { Command, DEFAULT_VERSION, Header, SPEC, type StompVersion, VERSIONS } from "./spec.ts";

export * from "./server_frames.ts";

/**
 * What to connect with: credentials, extra headers, the versions offered (default: all), the
 * `host` header (required when a 1.1+ version is offered) and heart-beats `[cx, cy]` in ms.
 *
 * @example
 * ```ts
 * import type { StompConnectOptions } from "./commands.ts";
 * const options: StompConnectOptions = { login: "guest", passcode: "guest", host: "/", heartBeats: [1000, 1000] };
 * ```
 */
export interface StompConnectOptions {
  /** The `login` header; none when absent. */
  readonly login?: string;
  /** The `passcode` header; none when absent. Never shown in errors or logs. */
  readonly passcode?: string;
  /** Extra headers; the explicit options win over these. */
  readonly headers?: StompHeadersInit;
  /** The versions offered; default every version. */
  readonly versions?: readonly StompVersion[];
  /** The `host` header (for RabbitMQ the virtual host, e.g. `/`); required when 1.1+ is offered. */
  readonly host?: string;
  /** `[cx, cy]`: how often the client can send and wants to receive heart-beats, in ms (0 = never). */
  readonly heartBeats?: readonly [number, number];
}

function connectFrame(command: string, options: StompConnectOptions): StompFrame {
  const versions = toVersions(options.versions);
  const highest = versions[versions.length - 1];
  if (!versions.some((v) => SPEC[v].clientCommands.has(command))) {
    fail(`${command} does not exist in STOMP ${versions.join(", ")}`);
  }
  const modern = versions.filter((v) => SPEC[v].connectNeedsHost);
  const beating = versions.some((v) => SPEC[v].heartBeats);
  let pairs = toPairs(options.headers);
  for (const name of [Header.LOGIN, Header.PASSCODE, Header.HOST] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== "string") fail(`${command}: ${name} must be a string`);
    pairs = setHeader(pairs, name, value);
  }
  if (modern.length > 0) {
    pairs = setHeader(pairs, Header.ACCEPT_VERSION, versions.join(","));
    if (getHeader(pairs, Header.HOST) === undefined) {
      const hint = `(RabbitMQ: the virtual host, e.g. "/")`;
      fail(`${command}: a host header is required when offering STOMP ${modern.join(", ")} ${hint}`);
    }
  }
  const beats = options.heartBeats;
  if (beats !== undefined) {
    if (!Array.isArray(beats) || beats.length !== 2 || !beats.every(isBeat)) {
      fail(`${command}: heartBeats must be two non-negative integers [cx, cy], got ${JSON.stringify(beats)}`);
    }
    if ((beats[0] || beats[1]) && !beating) {
      fail(`${command}: heart-beating does not exist in STOMP ${versions.join(", ")}`);
    }
    if (beating) pairs = setHeader(pairs, Header.HEART_BEAT, beats.join(","));
  }
  const given = getHeader(pairs, Header.HEART_BEAT);
  if (given !== undefined) parseHeartBeat(given);
  return new StompFrame(command, pairs, undefined, highest);
}

/**
 * Builds a CONNECT frame. Offering any 1.1+ version adds `accept-version` and requires `host`.
 *
 * @example
 * ```ts
 * import { connect } from "./commands.ts";
 * const frame = connect({ login: "guest", passcode: "guest", host: "/", versions: ["1.1", "1.2"] });
 * console.log(frame.headers["accept-version"]); // "1.1,1.2"
 * ```
 */
export function connect(options: StompConnectOptions = {}): StompFrame {
  return connectFrame(Command.CONNECT, options);
}

/**
 * Builds a STOMP frame: CONNECT's 1.1+ synonym, refused when only 1.0 is offered.
 *
 * @example
 * ```ts
 * import { stomp } from "./commands.ts";
 * console.log(stomp({ host: "/", versions: ["1.2"] }).command); // "STOMP"
 * ```
 */
export function stomp(options: StompConnectOptions = {}): StompFrame {
  return connectFrame(Command.STOMP, options);
}

/**
 * Builds a DISCONNECT frame, with a `receipt` header when one is given and `headers` (extra ones,
 * e.g. a broker's own, before it).
 *
 * @example
 * ```ts
 * import { disconnect } from "./commands.ts";
 * console.log(disconnect("bye").headers.receipt); // "bye"
 * console.log(disconnect(undefined, "1.2", { reason: "shutdown" }).headers.reason); // "shutdown"
 * ```
 */
export function disconnect(
  receipt?: string,
  version: StompVersion = DEFAULT_VERSION,
  headers: Readonly<Record<string, string>> = {},
): StompFrame {
  const v = toVersion(version);
  const extra = Object.entries(headers).filter(([name]) => name !== Header.RECEIPT);
  return new StompFrame(Command.DISCONNECT, withReceipt(extra, receipt, Command.DISCONNECT), undefined, v);
}

/**
 * Options of a SEND frame: a receipt, a transaction and the version it is written with.
 *
 * @example
 * ```ts
 * import type { StompSendOptions } from "./commands.ts";
 * const options: StompSendOptions = { receipt: "r1", transaction: "tx1", version: "1.2" };
 * ```
 */
export interface StompSendOptions {
  /** Ask the broker for a RECEIPT with this id. */
  readonly receipt?: string;
  /** Send inside this transaction. */
  readonly transaction?: string;
  /** The version the frame is written with (default {@link DEFAULT_VERSION}). */
  readonly version?: StompVersion;
}

/**
 * Builds a SEND frame. A body holding a NUL byte gets a `content-length` header (without one the
 * broker would cut the body there); a given `content-length` must match the body.
 *
 * @example
 * ```ts
 * import { send } from "./commands.ts";
 * const frame = send("/queue/a", "hello", { "content-type": "text/plain" }, { receipt: "r1" });
 * console.log(frame.headers.destination, frame.headers.receipt); // "/queue/a" "r1"
 * ```
 */
export function send(
  destination: string,
  body?: StompBody,
  headers?: StompHeadersInit,
  options: StompSendOptions = {},
): StompFrame {
  const version = toVersion(options.version ?? DEFAULT_VERSION);
  checkText("destination", destination, "SEND");
  const { transaction, receipt } = options;
  if (transaction !== undefined) checkText("transaction", transaction, "SEND");
  if (receipt !== undefined) checkText("receipt", receipt, "SEND");
  // One pass over the given headers: the explicit destination, transaction and receipt replace any
  // given ones (an earlier entry would win on the wire) and go last, in that order.
  const pairs: Pairs = [];
  let length: string | undefined;
  const keep = (name: string, value: string) => {
    if (
      name === Header.DESTINATION || (name === Header.TRANSACTION && transaction !== undefined) ||
      (name === Header.RECEIPT && receipt !== undefined)
    ) return;
    if (name === Header.CONTENT_LENGTH && length === undefined) length = value;
    pairs.push([name, value]);
  };
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i++) keep(headers[i][0], headers[i][1]);
  } else if (headers !== undefined) {
    const record = headers as Readonly<Record<string, string | number | boolean | undefined>>;
    for (const name of Object.keys(record)) {
      const value = record[name];
      if (value !== undefined) keep(name, String(value));
    }
  }
  pairs.push([Header.DESTINATION, destination]);
  if (transaction !== undefined) pairs.push([Header.TRANSACTION, transaction]);
  if (receipt !== undefined) pairs.push([Header.RECEIPT, receipt]);
  const bytes = body === undefined ? undefined : typeof body === "string" ? encodeText(body) : body;
  if (length !== undefined) {
    if (!/^\d+$/.test(length) || Number(length) !== (bytes?.length ?? 0)) {
      fail(
        `SEND: content-length ${JSON.stringify(length)} does not match the ${bytes?.length ?? 0}-byte body`,
      );
    }
  } else if (bytes?.includes(0)) {
    pairs.push([Header.CONTENT_LENGTH, String(bytes.length)]);
  }
  return new StompFrame(Command.SEND, pairs, bytes, version);
}

/**
 * Builds a SUBSCRIBE frame and the token that matches its messages. STOMP 1.1+ requires an `id`
 * header (the session generates one); the `ack` mode must exist in the version.
 *
 * @example
 * ```ts
 * import { subscribe } from "./commands.ts";
 * const { token } = subscribe("/queue/a", {}, undefined, "1.0");
 * console.log(token); // "destination:/queue/a"
 * ```
 */
export function subscribe(
  destination: string,
  headers?: StompHeadersInit,
  receipt?: string,
  version: StompVersion = DEFAULT_VERSION,
): { frame: StompFrame; token: StompToken } {
  const v = toVersion(version);
  let pairs = setHeader(
    toPairs(headers),
    Header.DESTINATION,
    checkText("destination", destination, "SUBSCRIBE"),
  );
  pairs = withReceipt(pairs, receipt, Command.SUBSCRIBE);
  const id = getHeader(pairs, Header.ID);
  if (id === undefined && SPEC[v].subscribeNeedsId) {
    fail(`SUBSCRIBE to ${destination}: an id header is required in STOMP ${v}`);
  }
  if (id === "") fail(`SUBSCRIBE to ${destination}: the id header is empty`);
  const ack = getHeader(pairs, Header.ACK);
  if (ack !== undefined && !SPEC[v].ackModes.has(ack)) {
    fail(
      `SUBSCRIBE to ${destination}: ack mode ${JSON.stringify(ack)} does not exist in STOMP ${v} (known: ${
        [...SPEC[v].ackModes].join(", ")
      })`,
    );
  }
  const frame = new StompFrame(Command.SUBSCRIBE, pairs, undefined, v);
  return { frame, token: id === undefined ? `destination:${destination}` : `id:${id}` };
}

/**
 * Splits a token (or reads a subscription's `id`, else its `destination`) into header and value.
 *
 * @example
 * ```ts
 * import { tokenHeader } from "./commands.ts";
 * console.log(tokenHeader("id:s1")); // [ "id", "s1" ]
 * ```
 */
export function tokenHeader(
  subscription: StompToken | { readonly id?: string; readonly destination?: string },
): ["id" | "destination", string] {
  if (typeof subscription === "string") {
    for (const header of [Header.ID, Header.DESTINATION] as const) {
      if (subscription.startsWith(header + ":")) return [header, subscription.slice(header.length + 1)];
    }
  } else if (subscription && typeof subscription === "object") {
    if (typeof subscription.id === "string") return [Header.ID, subscription.id];
    if (typeof subscription.destination === "string") return [Header.DESTINATION, subscription.destination];
  }
  return fail(`not a subscription token: ${JSON.stringify(subscription)}`);
}

/**
 * Builds an UNSUBSCRIBE frame from a token or a subscription (`id`, else `destination`).
 * STOMP 1.1+ requires the id.
 *
 * @example
 * ```ts
 * import { unsubscribe } from "./commands.ts";
 * console.log(unsubscribe("id:s1", "r2", "1.2").headers.id); // "s1"
 * ```
 */
export function unsubscribe(
  subscription: StompToken | { readonly id?: string; readonly destination?: string },
  receipt?: string,
  version: StompVersion = DEFAULT_VERSION,
): StompFrame {
  const v = toVersion(version);
  const [header, value] = tokenHeader(subscription);
  if (header !== Header.ID && SPEC[v].subscribeNeedsId) fail(`UNSUBSCRIBE: an id is required in STOMP ${v}`);
  return new StompFrame(
    Command.UNSUBSCRIBE,
    withReceipt([[header, value]], receipt, Command.UNSUBSCRIBE),
    undefined,
    v,
  );
}

/**
 * Options of ACK and NACK: the currently active transactions (the message's `transaction` header
 * is copied only when it names one of them), an explicit transaction, and a receipt.
 *
 * @example
 * ```ts
 * import type { StompAckOptions } from "./commands.ts";
 * const options: StompAckOptions = { transactions: new Set(["tx1"]), receipt: "r3" };
 * ```
 */
export interface StompAckOptions {
  /** Active transactions; a `transaction` header on the MESSAGE is copied only if it is one. */
  readonly transactions?: Iterable<string>;
  /** Acknowledge inside this transaction (wins over the message's header). */
  readonly transaction?: string;
  /** Ask the broker for a RECEIPT with this id. */
  readonly receipt?: string;
}

/** Each version's ACK/NACK headers as [name, MESSAGE header it copies] pairs, built once. */
const ACK_HEADERS = Object.fromEntries(
  VERSIONS.map((v) => [v, Object.entries(SPEC[v].ackHeaders)]),
) as unknown as Readonly<Record<StompVersion, ReadonlyArray<readonly [string, string]>>>;

function isActive(transactions: Iterable<string> | undefined, id: string): boolean {
  if (transactions === undefined) return false;
  if (transactions instanceof Set) return transactions.has(id);
  for (const t of transactions) if (t === id) return true;
  return false;
}

// Runs once per acked message: no per-call tables, sets or error texts unless one is thrown.
function ackFrame(command: string, message: StompFrame, options: StompAckOptions, version?: StompVersion) {
  checkCommand(message, Command.MESSAGE);
  const v = toVersion(version ?? message.version);
  checkClientCommand(command, v);
  const headers = ACK_HEADERS[v];
  let pairs: Pairs = [];
  for (let i = 0; i < headers.length; i++) {
    const [name, source] = headers[i];
    const value = getHeader(message.rawHeaders, source);
    pairs.push([name, value ?? requireHeader(message, source, ` (needed for ${command} in STOMP ${v})`)]);
  }
  const copied = getHeader(message.rawHeaders, Header.TRANSACTION);
  const active = copied !== undefined && isActive(options.transactions, copied);
  const transaction = options.transaction ?? (active ? copied : undefined);
  if (transaction !== undefined) {
    pairs = setHeader(pairs, Header.TRANSACTION, checkText("transaction", transaction, command));
  }
  return new StompFrame(command, withReceipt(pairs, options.receipt, command), undefined, v);
}

/**
 * Builds an ACK for a MESSAGE. Headers by version: 1.0 `message-id`; 1.1 `message-id` and
 * `subscription`; 1.2 `id` (the MESSAGE's `ack` header). The version defaults to the message's.
 *
 * @example
 * ```ts
 * import { ack } from "./commands.ts";
 * import { StompFrame } from "./frame.ts";
 * const message = new StompFrame("MESSAGE", { destination: "/queue/a", "message-id": "m1", subscription: "s1", ack: "a1" });
 * console.log(ack(message, {}, "1.2").headers.id); // "a1"
 * ```
 */
export function ack(message: StompFrame, options: StompAckOptions = {}, version?: StompVersion): StompFrame {
  return ackFrame(Command.ACK, message, options, version);
}

/**
 * Builds a NACK for a MESSAGE (same headers as {@link ack}); refused in STOMP 1.0.
 *
 * @example
 * ```ts
 * import { nack } from "./commands.ts";
 * import { StompFrame } from "./frame.ts";
 * const message = new StompFrame("MESSAGE", { destination: "/queue/a", "message-id": "m1", subscription: "s1" }, undefined, "1.1");
 * console.log(nack(message).headers["message-id"]); // "m1"
 * ```
 */
export function nack(message: StompFrame, options: StompAckOptions = {}, version?: StompVersion): StompFrame {
  return ackFrame(Command.NACK, message, options, version);
}

function transactionFrame(command: string, transaction: string, receipt?: string, version?: StompVersion) {
  const pairs: Pairs = [[Header.TRANSACTION, checkText("transaction", transaction, command)]];
  return new StompFrame(
    command,
    withReceipt(pairs, receipt, command),
    undefined,
    toVersion(version ?? DEFAULT_VERSION),
  );
}

/**
 * Builds a BEGIN frame for a transaction.
 *
 * @example
 * ```ts
 * import { begin } from "./commands.ts";
 * console.log(begin("tx1").headers.transaction); // "tx1"
 * ```
 */
export function begin(transaction: string, receipt?: string, version?: StompVersion): StompFrame {
  return transactionFrame(Command.BEGIN, transaction, receipt, version);
}

/**
 * Builds a COMMIT frame for a transaction.
 *
 * @example
 * ```ts
 * import { commit } from "./commands.ts";
 * console.log(commit("tx1", "r4").headers.receipt); // "r4"
 * ```
 */
export function commit(transaction: string, receipt?: string, version?: StompVersion): StompFrame {
  return transactionFrame(Command.COMMIT, transaction, receipt, version);
}

/**
 * Builds an ABORT frame for a transaction.
 *
 * @example
 * ```ts
 * import { abort } from "./commands.ts";
 * console.log(abort("tx1").command); // "ABORT"
 * ```
 */
export function abort(transaction: string, receipt?: string, version?: StompVersion): StompFrame {
  return transactionFrame(Command.ABORT, transaction, receipt, version);
}

/**
 * The heart-beat to send; refused in versions without heart-beating (1.0).
 *
 * @example
 * ```ts
 * import { beat } from "./commands.ts";
 * console.log(beat("1.2").toBytes()); // Uint8Array(1) [ 10 ]
 * ```
 */
export function beat(version: StompVersion = DEFAULT_VERSION): StompHeartBeat {
  const v = toVersion(version);
  if (!SPEC[v].heartBeats) fail(`heart-beating does not exist in STOMP ${v}`);
  return StompHeartBeat.INSTANCE;
}
