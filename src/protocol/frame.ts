/**
 * {@link StompFrame} and {@link StompHeartBeat}: the two things that travel on a STOMP wire.
 *
 * @module
 */

import { allocate, encodeFrame, encodeText } from "./pool.ts";
import { DEFAULT_VERSION, SPEC, type StompVersion } from "./spec.ts";
import { frameHead } from "./wire.ts";

/**
 * Headers as a first-wins record (null prototype, so any header name is a plain key).
 *
 * @example
 * ```ts
 * import type { StompHeaders } from "./frame.ts";
 * const h: StompHeaders = { destination: "/queue/a" };
 * ```
 */
export type StompHeaders = Record<string, string>;

/**
 * Headers as given to a frame: a record (values stringified; `undefined` entries are left out) or
 * an ordered list of `[name, value]` pairs kept exactly, repeats included.
 *
 * @example
 * ```ts
 * import type { StompHeadersInit } from "./frame.ts";
 * const a: StompHeadersInit = { destination: "/queue/a", priority: 4 };
 * const b: StompHeadersInit = [["x", "1"], ["x", "2"]];
 * ```
 */
export type StompHeadersInit =
  | Readonly<Record<string, string | number | boolean | undefined>>
  | ReadonlyArray<readonly [string, string]>;

/**
 * A frame body as given: bytes (kept, not copied) or a string (UTF-8 encoded). Bytes are the
 * frame's own: a large body (64 KiB or more) is written to the socket as it is, so change no byte
 * of it until its send resolved (a loop that refills one buffer must await each send).
 *
 * @example
 * ```ts
 * import type { StompBody } from "./frame.ts";
 * const body: StompBody = new Uint8Array([0, 1, 2]);
 * ```
 */
export type StompBody = Uint8Array | string;

const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);
const inspect = Symbol.for("Deno.customInspect");
const nodeInspect = Symbol.for("nodejs.util.inspect.custom");

const PASSCODE = "passcode";

/**
 * Builds the first-wins record from ordered pairs: for a repeated name, the first value.
 *
 * @example
 * ```ts
 * import { firstWins } from "./frame.ts";
 * console.log(firstWins([["x", "1"], ["x", "2"]]).x); // "1"
 * ```
 */
export function firstWins(pairs: ReadonlyArray<readonly [string, string]>): StompHeaders {
  const headers: StompHeaders = Object.create(null);
  for (let i = 0; i < pairs.length; i++) {
    const [name, value] = pairs[i];
    if (headers[name] === undefined) headers[name] = value;
  }
  return headers;
}

/** The one-shot parser behind {@link StompFrame.fromBytes}, registered by unpack.ts. */
let unpack: ((bytes: Uint8Array | string, version?: StompVersion) => StompFrame) | undefined;

/**
 * Registers the one-shot parser behind {@link StompFrame.fromBytes} (unpack.ts does, on import).
 *
 * @internal
 * @example
 * ```ts ignore
 * registerUnpack(unpackFrame);
 * ```
 */
export function registerUnpack(fn: (bytes: Uint8Array | string, version?: StompVersion) => StompFrame): void {
  unpack = fn;
}

/**
 * One STOMP frame: a command, headers (a first-wins record plus the raw ordered pairs), a binary
 * body and the protocol version whose rules it is written with.
 *
 * @example
 * ```ts
 * import { StompFrame } from "./frame.ts";
 * const frame = new StompFrame("SEND", { destination: "/queue/a" }, "hello");
 * console.log(frame.headers.destination, frame.body.length); // "/queue/a" 5
 * const wire = frame.toBytes(); // SEND\ndestination:/queue/a\n\nhello\0
 * ```
 */
export class StompFrame {
  /** The command, e.g. `SEND` or `MESSAGE`. */
  readonly command: string;
  /** Every header in wire order, repeats included. */
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>;
  /** The body bytes (empty when there is none). */
  readonly body: Uint8Array;
  /** The version whose escaping and rules apply to this frame. */
  readonly version: StompVersion;
  #headers?: StompHeaders;

  /**
   * Builds a frame. A record's values are stringified; a list of pairs is kept as given.
   * A string body is UTF-8 encoded; a Uint8Array body is kept without copying.
   */
  constructor(
    command: string,
    headers?: StompHeadersInit,
    body?: StompBody,
    version: StompVersion = DEFAULT_VERSION,
  ) {
    this.command = command;
    if (headers === undefined) {
      this.rawHeaders = [];
    } else if (Array.isArray(headers)) {
      this.rawHeaders = headers as ReadonlyArray<readonly [string, string]>;
    } else {
      const pairs: [string, string][] = [];
      for (const name in headers) {
        const value = (headers as Record<string, unknown>)[name];
        if (value !== undefined) pairs.push([name, String(value)]);
      }
      this.rawHeaders = pairs;
    }
    this.body = body === undefined ? EMPTY : typeof body === "string" ? encodeText(body) : body;
    if (!SPEC[version]) throw new TypeError(`unknown STOMP version ${JSON.stringify(version)}`);
    this.version = version;
  }

  /**
   * Parses the wire bytes (or text) of exactly one frame with `version`'s rules (default 1.2), as
   * stompest's `unpack_frame`: the inverse of {@link StompFrame.toBytes}. No frame, a cut-off one, a
   * second one or a malformed one is a {@link StompFrameError}.
   *
   * @example
   * ```ts
   * import { StompFrame } from "../../mod.ts";
   * const frame = StompFrame.fromBytes(new StompFrame("SEND", { destination: "/queue/a" }, "hi").toBytes());
   * console.log(frame.headers.destination, frame.text()); // "/queue/a" "hi"
   * ```
   */
  static fromBytes(bytes: Uint8Array | string, version?: StompVersion): StompFrame {
    if (!unpack) throw new Error("StompFrame.fromBytes needs the parser: import the library's mod.ts");
    return unpack(bytes, version);
  }

  /** Headers as a first-wins record: for a repeated name, the first occurrence. */
  get headers(): StompHeaders {
    return this.#headers ??= firstWins(this.rawHeaders);
  }

  /** The body decoded as UTF-8. */
  text(): string {
    return decoder.decode(this.body);
  }

  /** The body parsed as JSON (UTF-8). */
  json<T = unknown>(): T {
    return JSON.parse(this.text());
  }

  /**
   * The frame's wire bytes, headers escaped by its version's table. Throws
   * {@link StompFrameError} when a header cannot be represented (header injection) or the command
   * may not carry a body in this version.
   */
  toBytes(): Uint8Array {
    return encodeFrame(frameHead(this.command, this.rawHeaders, this.body.length, this.version), this.body);
  }

  /** True when both frames have the same wire bytes (a frame that cannot be written equals none). */
  equals(other: StompFrame | StompHeartBeat): boolean {
    if (!(other instanceof StompFrame)) return false;
    let a: Uint8Array, b: Uint8Array;
    try {
      a = this.toBytes();
      b = other.toBytes();
    } catch {
      return false;
    }
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** A short description for logs; never shows a passcode. */
  info(): string {
    const shown = this.rawHeaders.slice(0, 8).map(([k, v]) =>
      `${k}:${k === PASSCODE ? "***" : v.length > 60 ? v.slice(0, 60) + "…" : v}`
    );
    if (this.rawHeaders.length > 8) shown.push(`…+${this.rawHeaders.length - 8}`);
    return `${this.command} {${shown.join(", ")}} ${this.body.length} bytes body (STOMP ${this.version})`;
  }

  /** Same as {@link StompFrame.info}. */
  toString(): string {
    return this.info();
  }

  /**
   * What `JSON.stringify` shows: a summary for logs with the passcode masked, not a wire format
   * (use {@link StompFrame.toBytes} for that).
   */
  toJSON(): { command: string; version: StompVersion; headers: [string, string][]; bodyBytes: number } {
    return {
      command: this.command,
      version: this.version,
      headers: this.rawHeaders.map(([k, v]) => [k, k === PASSCODE ? "***" : v]),
      bodyBytes: this.body.length,
    };
  }

  /** `console.log` in Deno prints {@link StompFrame.info}, so a passcode never reaches a log. */
  [inspect](): string {
    return `StompFrame(${this.info()})`;
  }

  /** `console.log` in Node prints {@link StompFrame.info}, so a passcode never reaches a log. */
  [nodeInspect](): string {
    return `StompFrame(${this.info()})`;
  }
}

/**
 * A heart-beat: one EOL between frames (STOMP 1.1+). Distinct from every frame.
 *
 * @example
 * ```ts
 * import { StompHeartBeat } from "./frame.ts";
 * console.log(StompHeartBeat.INSTANCE.toBytes()); // Uint8Array(1) [ 10 ]
 * ```
 */
export class StompHeartBeat {
  /** The one heart-beat value; every heart-beat the parser yields is this object. */
  static readonly INSTANCE: StompHeartBeat = new StompHeartBeat();
  /** One EOL (fresh bytes each call). */
  toBytes(): Uint8Array {
    const eol = allocate(1);
    eol[0] = 0x0a;
    return eol;
  }
  /** `"heart-beat"`. */
  info(): string {
    return "heart-beat";
  }
  /** True for every heart-beat. */
  equals(other: unknown): boolean {
    return other instanceof StompHeartBeat;
  }
}
