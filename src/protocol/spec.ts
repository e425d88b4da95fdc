/**
 * The STOMP 1.0, 1.1 and 1.2 specifications as data. Every per-version decision in the library
 * is a lookup in these tables rather than an if-chain on the version.
 *
 * @module
 */

/**
 * A STOMP protocol version.
 *
 * @example
 * ```ts
 * import type { StompVersion } from "./spec.ts";
 * const v: StompVersion = "1.2";
 * ```
 */
export type StompVersion = "1.0" | "1.1" | "1.2";

/**
 * Every version, oldest first.
 *
 * @example
 * ```ts
 * import { VERSIONS } from "./spec.ts";
 * console.log(VERSIONS.join(",")); // "1.0,1.1,1.2"
 * ```
 */
export const VERSIONS: readonly StompVersion[] = Object.freeze(["1.0", "1.1", "1.2"]);

/**
 * The version a frame or parser uses when none is given.
 *
 * @example
 * ```ts
 * import { DEFAULT_VERSION } from "./spec.ts";
 * console.log(DEFAULT_VERSION); // "1.2"
 * ```
 */
export const DEFAULT_VERSION: StompVersion = "1.2";

/**
 * Throws a TypeError unless `v` is a STOMP version this library speaks.
 *
 * @example
 * ```ts
 * import { checkVersion } from "./spec.ts";
 * const v = checkVersion("1.1"); // "1.1"
 * ```
 */
export function checkVersion(v: string): StompVersion {
  if (!(VERSIONS as readonly string[]).includes(v)) {
    throw new TypeError(`unknown STOMP version ${JSON.stringify(v)} (known: ${VERSIONS.join(", ")})`);
  }
  return v as StompVersion;
}

/**
 * Frame command names.
 *
 * @example
 * ```ts
 * import { Command } from "./spec.ts";
 * console.log(Command.SEND); // "SEND"
 * ```
 */
export const Command = {
  CONNECT: "CONNECT",
  STOMP: "STOMP",
  CONNECTED: "CONNECTED",
  SEND: "SEND",
  SUBSCRIBE: "SUBSCRIBE",
  UNSUBSCRIBE: "UNSUBSCRIBE",
  ACK: "ACK",
  NACK: "NACK",
  BEGIN: "BEGIN",
  COMMIT: "COMMIT",
  ABORT: "ABORT",
  DISCONNECT: "DISCONNECT",
  MESSAGE: "MESSAGE",
  RECEIPT: "RECEIPT",
  ERROR: "ERROR",
} as const;

/**
 * Header names the protocol defines.
 *
 * @example
 * ```ts
 * import { Header } from "./spec.ts";
 * console.log(Header.CONTENT_LENGTH); // "content-length"
 * ```
 */
export const Header = {
  ACCEPT_VERSION: "accept-version",
  ACK: "ack",
  CONTENT_LENGTH: "content-length",
  CONTENT_TYPE: "content-type",
  DESTINATION: "destination",
  HEART_BEAT: "heart-beat",
  HOST: "host",
  ID: "id",
  LOGIN: "login",
  MESSAGE: "message",
  MESSAGE_ID: "message-id",
  PASSCODE: "passcode",
  RECEIPT: "receipt",
  RECEIPT_ID: "receipt-id",
  SERVER: "server",
  SESSION: "session",
  SUBSCRIPTION: "subscription",
  TRANSACTION: "transaction",
  VERSION: "version",
} as const;

/**
 * Subscription ack modes.
 *
 * @example
 * ```ts
 * import { AckMode } from "./spec.ts";
 * console.log(AckMode.CLIENT_INDIVIDUAL); // "client-individual"
 * ```
 */
export const AckMode = {
  AUTO: "auto",
  CLIENT: "client",
  CLIENT_INDIVIDUAL: "client-individual",
} as const;

/**
 * An ack mode value.
 *
 * @example
 * ```ts
 * import type { StompAckMode } from "./spec.ts";
 * const mode: StompAckMode = "client-individual";
 * ```
 */
export type StompAckMode = (typeof AckMode)[keyof typeof AckMode];

const common = ["SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "BEGIN", "COMMIT", "ABORT", "DISCONNECT"];
const server = ["CONNECTED", "MESSAGE", "RECEIPT", "ERROR"];

/**
 * What differs between versions, one row per version.
 *
 * @example
 * ```ts
 * import { SPEC } from "./spec.ts";
 * console.log(SPEC["1.0"].clientCommands.has("NACK")); // false
 * ```
 */
export interface VersionSpec {
  /** Commands a client may send. */
  readonly clientCommands: ReadonlySet<string>;
  /** Commands a server may send. */
  readonly serverCommands: ReadonlySet<string>;
  /** Commands allowed to carry a body; `undefined` means every command. */
  readonly bodyCommands: ReadonlySet<string> | undefined;
  /** Raw character → escape sequence for header names and values (empty: no escaping). */
  readonly escapes: Readonly<Record<string, string>>;
  /** Escape letter after a backslash → the character it stands for (inverse of `escapes`). */
  readonly unescapes: Readonly<Record<string, string>>;
  /** Characters that must not appear unescaped in a received header (a fatal frame error). */
  readonly forbiddenRaw: string;
  /** Whether a CR before the LF of a command or header line is stripped. */
  readonly stripCR: boolean;
  /** Whether heart-beats exist (EOLs between frames are heart-beats rather than padding). */
  readonly heartBeats: boolean;
  /** Ack modes a SUBSCRIBE may name. */
  readonly ackModes: ReadonlySet<string>;
  /** Headers an ACK/NACK must carry, as `header name → MESSAGE header it is copied from`. */
  readonly ackHeaders: Readonly<Record<string, string>>;
  /** Whether SUBSCRIBE (and so UNSUBSCRIBE) require an `id`. */
  readonly subscribeNeedsId: boolean;
  /** Whether CONNECT must carry `accept-version` and `host`. */
  readonly connectNeedsHost: boolean;
  /** Whether header text is UTF-8 (1.1+) rather than ASCII. */
  readonly utf8: boolean;
}

const escapes11 = { "\\": "\\\\", "\n": "\\n", ":": "\\c" };
const escapes12 = { ...escapes11, "\r": "\\r" };
const invert = (t: Record<string, string>) =>
  Object.fromEntries(Object.entries(t).map(([raw, esc]) => [esc[1], raw]));

/**
 * The per-version tables.
 *
 * @example
 * ```ts
 * import { SPEC } from "./spec.ts";
 * console.log(SPEC["1.2"].stripCR, SPEC["1.1"].stripCR); // true false
 * ```
 */
export const SPEC: Readonly<Record<StompVersion, VersionSpec>> = Object.freeze({
  "1.0": {
    clientCommands: new Set(["CONNECT", ...common]),
    serverCommands: new Set(server),
    bodyCommands: undefined,
    escapes: {},
    unescapes: {},
    forbiddenRaw: "",
    stripCR: false,
    heartBeats: false,
    ackModes: new Set(["auto", "client"]),
    ackHeaders: { "message-id": "message-id" },
    subscribeNeedsId: false,
    connectNeedsHost: false,
    utf8: false,
  },
  "1.1": {
    clientCommands: new Set(["CONNECT", "STOMP", "NACK", ...common]),
    serverCommands: new Set(server),
    bodyCommands: new Set(["SEND", "MESSAGE", "ERROR"]),
    escapes: escapes11,
    unescapes: invert(escapes11),
    forbiddenRaw: "",
    stripCR: false,
    heartBeats: true,
    ackModes: new Set(["auto", "client", "client-individual"]),
    ackHeaders: { "message-id": "message-id", subscription: "subscription" },
    subscribeNeedsId: true,
    connectNeedsHost: true,
    utf8: true,
  },
  "1.2": {
    clientCommands: new Set(["CONNECT", "STOMP", "NACK", ...common]),
    serverCommands: new Set(server),
    bodyCommands: new Set(["SEND", "MESSAGE", "ERROR"]),
    escapes: escapes12,
    unescapes: invert(escapes12),
    forbiddenRaw: ":\r",
    stripCR: true,
    heartBeats: true,
    ackModes: new Set(["auto", "client", "client-individual"]),
    ackHeaders: { id: "ack" },
    subscribeNeedsId: true,
    connectNeedsHost: true,
    utf8: true,
  },
});

/**
 * Commands whose headers are never escaped in any version (they are exchanged before the version
 * is known).
 *
 * @example
 * ```ts
 * import { UNESCAPED_COMMANDS } from "./spec.ts";
 * console.log(UNESCAPED_COMMANDS.has("CONNECT")); // true
 * ```
 */
export const UNESCAPED_COMMANDS: ReadonlySet<string> = new Set(["CONNECT", "CONNECTED"]);

/**
 * Every command of any version, for the parser's "unknown command" check.
 *
 * @example
 * ```ts
 * import { ALL_COMMANDS } from "./spec.ts";
 * console.log(ALL_COMMANDS.has("MESSAGE")); // true
 * ```
 */
export const ALL_COMMANDS: ReadonlySet<string> = new Set(Object.values(Command));

/**
 * Headers a broker sets on a MESSAGE that must not be copied onto a re-sent message (stompest's
 * error-destination copy drops them).
 *
 * @example
 * ```ts
 * import { RESERVED_MESSAGE_HEADERS } from "./spec.ts";
 * console.log(RESERVED_MESSAGE_HEADERS.has("message-id")); // true
 * ```
 */
export const RESERVED_MESSAGE_HEADERS: ReadonlySet<string> = new Set([
  "message-id",
  "destination",
  "subscription",
  "ack",
  "content-length",
  "receipt",
  "transaction",
  "redelivered",
]);
