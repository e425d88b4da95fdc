/**
 * {@link StompParserLimits}: the bounds on what a {@link StompParser} buffers, their defaults,
 * and the check the parser's fast path makes against them. Re-exported by `parser.ts`.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARSER_LIMITS } from "./parser_limits.ts";
 * console.log(DEFAULT_PARSER_LIMITS.maxHeaderLineBytes); // 65536
 * ```
 *
 * @module
 */

/**
 * Bounds on what the parser buffers. Exceeding one raises a {@link StompFrameError} whose `limit`
 * names it, as soon as it is exceeded: memory stays bounded even when a peer never sends the NUL.
 * A body over `maxBodyBytes` (or a frame whose body takes it over `maxFrameBytes`) is read past
 * without being kept, and its frame's headers come with the error (`StompFrameTooLargeError`), so
 * a client can settle that one message and go on.
 *
 * @example
 * ```ts
 * import { StompParser } from "./parser.ts";
 * const parser = new StompParser("1.2", { maxBodyBytes: 1 << 20 });
 * console.log(parser.limits.maxFrameBytes); // 2097152: 1 MiB of body plus 1 MiB for headers
 * ```
 */
export interface StompParserLimits {
  /**
   * Header block (every EOL included) plus body, in bytes. Default `maxBodyBytes` +
   * {@link HEADER_ROOM_BYTES}, so that a body at its limit is receivable.
   */
  readonly maxFrameBytes: number;
  /** Body bytes. Default 64 MiB. */
  readonly maxBodyBytes: number;
  /** Header lines after the command line. Default 1000. */
  readonly maxHeaderLines: number;
  /** Bytes in one command or header line, without its LF. Default 64 KiB. */
  readonly maxHeaderLineBytes: number;
}

/**
 * What the default `maxFrameBytes` allows beyond `maxBodyBytes` for the header block: 1 MiB.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARSER_LIMITS, HEADER_ROOM_BYTES } from "./parser_limits.ts";
 * console.log(DEFAULT_PARSER_LIMITS.maxFrameBytes === DEFAULT_PARSER_LIMITS.maxBodyBytes + HEADER_ROOM_BYTES); // true
 * ```
 */
export const HEADER_ROOM_BYTES = 1024 * 1024;

/**
 * The limits a parser uses when none are given.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARSER_LIMITS } from "./parser_limits.ts";
 * console.log(DEFAULT_PARSER_LIMITS.maxHeaderLines); // 1000
 * ```
 */
export const DEFAULT_PARSER_LIMITS: StompParserLimits = Object.freeze({
  maxFrameBytes: 64 * 1024 * 1024 + HEADER_ROOM_BYTES,
  maxBodyBytes: 64 * 1024 * 1024,
  maxHeaderLines: 1000,
  maxHeaderLineBytes: 64 * 1024,
});

const LIMIT_NAMES = Object.keys(DEFAULT_PARSER_LIMITS) as (keyof StompParserLimits)[];

/**
 * Completes and checks partial limits, raised or lowered, so that they agree: each is a whole
 * number ≥ 0; without `maxFrameBytes` it is `maxBodyBytes` + {@link HEADER_ROOM_BYTES}; without
 * `maxBodyBytes` it is the default, but no more than `maxFrameBytes` (which then binds first); given
 * both, `maxFrameBytes` must not be below `maxBodyBytes` (a body limit that could never be reached).
 * A TypeError names the bad limit. Resolving resolved limits changes nothing.
 *
 * @example
 * ```ts
 * import { resolveParserLimits } from "./parser_limits.ts";
 * console.log(resolveParserLimits({ maxBodyBytes: 1000 }).maxFrameBytes); // 1049576
 * console.log(resolveParserLimits({ maxFrameBytes: 4096 }).maxBodyBytes); // 4096
 * ```
 */
export function resolveParserLimits(limits: Partial<StompParserLimits> = {}): StompParserLimits {
  if (limits === null || typeof limits !== "object") throw new TypeError("parser limits must be an object");
  for (const [name, value] of Object.entries(limits)) {
    if (!LIMIT_NAMES.includes(name as keyof StompParserLimits)) {
      throw new TypeError(`unknown parser limit ${JSON.stringify(name)} (known: ${LIMIT_NAMES})`);
    }
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new TypeError(`parser limit ${name} must be a whole number of bytes or lines >= 0, got ${value}`);
    }
  }
  const { maxFrameBytes, maxBodyBytes } = limits;
  if (maxFrameBytes !== undefined && maxBodyBytes !== undefined && maxFrameBytes < maxBodyBytes) {
    throw new TypeError(
      `parser limit maxFrameBytes (${maxFrameBytes}) is below maxBodyBytes (${maxBodyBytes}): the frame ` +
        `holds the body and its headers, so allow at least maxBodyBytes + ${HEADER_ROOM_BYTES} (the default)`,
    );
  }
  const body = maxBodyBytes ?? Math.min(DEFAULT_PARSER_LIMITS.maxBodyBytes, maxFrameBytes ?? Infinity);
  return Object.freeze({
    maxFrameBytes: maxFrameBytes ?? body + HEADER_ROOM_BYTES,
    maxBodyBytes: body,
    maxHeaderLines: limits.maxHeaderLines ?? DEFAULT_PARSER_LIMITS.maxHeaderLines,
    maxHeaderLineBytes: limits.maxHeaderLineBytes ?? DEFAULT_PARSER_LIMITS.maxHeaderLineBytes,
  });
}

/**
 * Whether every line of a decoded header block `text[0, end]` (command line included, `end` at
 * the last line's LF) is within the line-length and line-count limits. The fast path asks only
 * when the limits are tight enough for the block to break one.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARSER_LIMITS, withinLineLimits } from "./parser_limits.ts";
 * const text = "SEND\ndestination:/queue/a\n\n";
 * console.log(withinLineLimits(text, text.indexOf("\n\n"), { ...DEFAULT_PARSER_LIMITS, maxHeaderLines: 0 })); // false
 * ```
 */
export function withinLineLimits(text: string, end: number, limits: StompParserLimits): boolean {
  const { maxHeaderLineBytes, maxHeaderLines } = limits;
  let lines = 0;
  for (let p = 0; p <= end; lines++) {
    const lf = text.indexOf("\n", p);
    if (lf - p > maxHeaderLineBytes) return false;
    p = lf + 1;
  }
  return lines - 1 <= maxHeaderLines;
}
