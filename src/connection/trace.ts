/**
 * The trace hook: every frame in and out of a connection, with its secrets redacted, for logs and
 * debugging. Built only when a hook is set: the channel checks one field per frame otherwise.
 *
 * @module
 */

import type { StompFrame } from "../protocol/frame.ts";

/**
 * One traced event. A `frame` event describes a frame read (`in`) or written (`out`); a `warning`
 * says something about the connection a developer must know (e.g. TLS verification is off).
 * Headers come redacted (see {@link redactHeaders}); `body` holds the body bytes only with
 * `traceBodies: true`. The whole frame's bytes are never given, because a CONNECT's bytes hold
 * the passcode.
 *
 * @example
 * ```ts
 * import type { StompTraceEvent } from "./trace.ts";
 * function log(e: StompTraceEvent) {
 *   if (e.type === "frame") console.log(e.direction, e.command, e.headers, e.bodyLength);
 *   else console.warn(e.message);
 * }
 * ```
 */
export type StompTraceEvent =
  | {
    readonly type: "frame";
    /** `in`: read from the broker; `out`: written to it. */
    readonly direction: "in" | "out";
    /** The connection, e.g. `tcp://127.0.0.1:61613`. */
    readonly connection: string;
    readonly command: string;
    /** The headers in wire order, secrets replaced by `***`. */
    readonly headers: ReadonlyArray<readonly [string, string]>;
    readonly bodyLength: number;
    /** The body bytes (a view, do not modify), only with `traceBodies: true`. */
    readonly body?: Uint8Array;
  }
  | { readonly type: "warning"; readonly connection: string; readonly message: string };

/**
 * The trace hook: called synchronously for each event; what it throws is swallowed (a broken
 * logger must not break the connection).
 *
 * @example
 * ```ts
 * import type { StompTrace } from "./trace.ts";
 * const trace: StompTrace = (e) => console.debug(e.type === "frame" ? `${e.direction} ${e.command}` : e.message);
 * ```
 */
export type StompTrace = (event: StompTraceEvent) => void;

/** Header names whose values are secrets: passcodes, passwords, tokens, authorization, cookies, API keys. */
const SECRET = /passcode|password|passwd|secret|token|authori[sz]ation|cookie|api[-_]?key|credential/i;

/**
 * The headers with every secret-looking value (passcode, `Authorization`, tokens, cookies, API
 * keys, passwords) replaced by `***`.
 *
 * @example
 * ```ts
 * import { redactHeaders } from "./trace.ts";
 * console.log(redactHeaders([["login", "app"], ["passcode", "s3cret"], ["X-Auth-Token", "abc"]]));
 * // [ [ "login", "app" ], [ "passcode", "***" ], [ "X-Auth-Token", "***" ] ]
 * ```
 */
export function redactHeaders(
  headers: ReadonlyArray<readonly [string, string]>,
): ReadonlyArray<readonly [string, string]> {
  return headers.map(([name, value]) => [name, SECRET.test(name) ? "***" : value] as const);
}

/**
 * Reports one frame to `trace`, swallowing what the hook throws.
 *
 * @example
 * ```ts
 * import { traceFrame } from "./trace.ts";
 * import { StompFrame } from "../protocol/frame.ts";
 * traceFrame((e) => console.log(e), "out", "tcp://h:1", new StompFrame("SEND", { destination: "/q" }, "x"), false);
 * ```
 */
export function traceFrame(
  trace: StompTrace,
  direction: "in" | "out",
  connection: string,
  frame: StompFrame,
  bodies: boolean,
): void {
  emit(trace, {
    type: "frame",
    direction,
    connection,
    command: frame.command,
    headers: redactHeaders(frame.rawHeaders),
    bodyLength: frame.body.length,
    body: bodies ? frame.body : undefined,
  });
}

/**
 * Calls `trace` with `event`, swallowing what it throws.
 *
 * @example
 * ```ts
 * import { emit } from "./trace.ts";
 * emit(() => { throw new Error("broken logger"); }, { type: "warning", connection: "x", message: "m" }); // no throw
 * ```
 */
export function emit(trace: StompTrace | undefined, event: StompTraceEvent): void {
  if (!trace) return;
  try {
    trace(event);
  } catch {
    // A broken logger must not break the connection.
  }
}
