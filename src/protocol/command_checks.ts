/**
 * The checks and header-list helpers that the client-frame builders (`commands.ts`) and the
 * server-frame checks (`server_frames.ts`) share. Every failure is a
 * {@link StompProtocolError}; none echoes CONNECT headers (the passcode).
 *
 * @example
 * ```ts
 * import { setHeader, toPairs, toVersion } from "./command_checks.ts";
 * const pairs = setHeader(toPairs({ a: "1" }), "b", "2");
 * console.log(pairs, toVersion("1.1")); // [ [ "a", "1" ], [ "b", "2" ] ] "1.1"
 * ```
 *
 * @module
 */

import { StompProtocolError } from "./protocol_error.ts";
import { StompFrame, type StompHeadersInit } from "./frame.ts";
import { checkVersion, Header, SPEC, type StompVersion, VERSIONS } from "./spec.ts";

/**
 * Headers as ordered `[name, value]` pairs: the order a frame is written in.
 *
 * @example
 * ```ts
 * import type { Pairs } from "./command_checks.ts";
 * const pairs: Pairs = [["destination", "/queue/a"]];
 * ```
 */
export type Pairs = [string, string][];

/**
 * Throws a {@link StompProtocolError}: bad input from the caller or the broker. Messages never
 * echo CONNECT headers (the passcode).
 *
 * @example
 * ```ts
 * import { fail } from "./command_checks.ts";
 * try {
 *   fail("SEND: destination must be a non-empty string");
 * } catch (e) {
 *   console.log((e as Error).name); // "StompProtocolError"
 * }
 * ```
 */
export function fail(message: string, options?: ErrorOptions & { frame?: StompFrame }): never {
  throw new StompProtocolError(message, options);
}

/**
 * A known version, or a {@link StompProtocolError} naming the unsupported one.
 *
 * @example
 * ```ts
 * import { toVersion } from "./command_checks.ts";
 * console.log(toVersion("1.2")); // "1.2"
 * ```
 */
export function toVersion(v: unknown): StompVersion {
  try {
    return checkVersion(v as string);
  } catch (cause) {
    return fail(`unsupported STOMP version ${JSON.stringify(v)}`, { cause });
  }
}

/**
 * Offered versions, validated, deduplicated and sorted oldest first (default: every version).
 *
 * @example
 * ```ts
 * import { toVersions } from "./command_checks.ts";
 * console.log(toVersions(["1.2", "1.0", "1.2"])); // [ "1.0", "1.2" ]
 * ```
 */
export function toVersions(versions: readonly StompVersion[] | undefined): StompVersion[] {
  if (versions === undefined) return [...VERSIONS];
  const wanted = new Set(Array.from(versions, toVersion));
  if (wanted.size === 0) fail("no STOMP version offered");
  return VERSIONS.filter((v) => wanted.has(v));
}

/**
 * Copies headers into fresh pairs; an object's undefined values are left out.
 *
 * @example
 * ```ts
 * import { toPairs } from "./command_checks.ts";
 * console.log(toPairs({ a: "1", b: undefined })); // [ [ "a", "1" ] ]
 * ```
 */
export function toPairs(headers: StompHeadersInit | undefined): Pairs {
  if (headers === undefined) return [];
  if (Array.isArray(headers)) return headers.map(([k, v]) => [k, v]);
  const pairs: Pairs = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) pairs.push([name, String(value)]);
  }
  return pairs;
}

/**
 * The first value of header `name`, the one the broker reads.
 *
 * @example
 * ```ts
 * import { getHeader } from "./command_checks.ts";
 * console.log(getHeader([["id", "s1"], ["id", "s2"]], "id")); // "s1"
 * ```
 */
export function getHeader(pairs: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  for (let i = 0; i < pairs.length; i++) if (pairs[i][0] === name) return pairs[i][1];
  return undefined;
}

/**
 * Sets `name` (dropping any earlier entry, which would win on the wire) unless value is undefined.
 *
 * @example
 * ```ts
 * import { setHeader } from "./command_checks.ts";
 * console.log(setHeader([["id", "s1"]], "id", "s2")); // [ [ "id", "s2" ] ]
 * ```
 */
export function setHeader(pairs: Pairs, name: string, value: string | undefined): Pairs {
  if (value === undefined) return pairs;
  const kept = pairs.filter(([k]) => k !== name);
  kept.push([name, value]);
  return kept;
}

/**
 * `value` when it is a non-empty string, else a {@link StompProtocolError} naming `what`.
 *
 * @example
 * ```ts
 * import { checkText } from "./command_checks.ts";
 * console.log(checkText("transaction", "tx1", "BEGIN")); // "tx1"
 * ```
 */
export function checkText(what: string, value: unknown, command: string): string {
  if (typeof value !== "string" || value === "") fail(`${command}: ${what} must be a non-empty string`);
  return value;
}

/**
 * Adds a checked `receipt` header when a receipt is given.
 *
 * @example
 * ```ts
 * import { withReceipt } from "./command_checks.ts";
 * console.log(withReceipt([], "r1", "DISCONNECT")); // [ [ "receipt", "r1" ] ]
 * ```
 */
export function withReceipt(pairs: Pairs, receipt: string | undefined, command: string): Pairs {
  if (receipt === undefined) return pairs;
  return setHeader(pairs, Header.RECEIPT, checkText("receipt", receipt, command));
}

/**
 * Refuses a client command that `version` lacks (NACK in 1.0).
 *
 * @example
 * ```ts
 * import { checkClientCommand } from "./command_checks.ts";
 * checkClientCommand("NACK", "1.1"); // passes; "1.0" would throw
 * ```
 */
export function checkClientCommand(command: string, version: StompVersion): void {
  if (!SPEC[version].clientCommands.has(command)) fail(`${command} does not exist in STOMP ${version}`);
}

/**
 * Refuses anything but a {@link StompFrame} with the given command.
 *
 * @example
 * ```ts
 * import { checkCommand } from "./command_checks.ts";
 * import { StompFrame } from "./frame.ts";
 * checkCommand(new StompFrame("RECEIPT", { "receipt-id": "r1" }), "RECEIPT"); // passes
 * ```
 */
export function checkCommand(frame: StompFrame, command: string): void {
  if (!(frame instanceof StompFrame)) fail(`expected a ${command} frame, got ${String(frame)}`);
  if (frame.command !== command) fail(`expected a ${command} frame, got ${frame.info()}`);
}

/**
 * The value of a header the frame must carry; `why` is appended to the error when it does not.
 *
 * @example
 * ```ts
 * import { requireHeader } from "./command_checks.ts";
 * import { StompFrame } from "./frame.ts";
 * console.log(requireHeader(new StompFrame("RECEIPT", { "receipt-id": "r1" }), "receipt-id")); // "r1"
 * ```
 */
export function requireHeader(frame: StompFrame, name: string, why = ""): string {
  // A scan of the pairs (first wins, as in `headers`): no header record is built per frame.
  const value = getHeader(frame.rawHeaders, name);
  if (value === undefined) fail(`${frame.command} frame without ${name} header${why}: ${frame.info()}`);
  return value;
}

/**
 * Whether `n` is a valid heart-beat period: a non-negative safe integer (ms).
 *
 * @example
 * ```ts
 * import { isBeat } from "./command_checks.ts";
 * console.log(isBeat(1000), isBeat(-1)); // true false
 * ```
 */
export const isBeat = (n: unknown): boolean => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
