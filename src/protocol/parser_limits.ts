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
 *
 * @example
 * ```ts
 * import { StompParser } from "./parser.ts";
 * const parser = new StompParser("1.2", { maxBodyBytes: 1 << 20 });
 * ```
 */
export interface StompParserLimits {
  /** Header block (every EOL included) plus body, in bytes. Default 64 MiB. */
  readonly maxFrameBytes: number;
  /** Body bytes. Default 64 MiB. */
  readonly maxBodyBytes: number;
  /** Header lines after the command line. Default 1000. */
  readonly maxHeaderLines: number;
  /** Bytes in one command or header line, without its LF. Default 64 KiB. */
  readonly maxHeaderLineBytes: number;
}

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
  maxFrameBytes: 64 * 1024 * 1024,
  maxBodyBytes: 64 * 1024 * 1024,
  maxHeaderLines: 1000,
  maxHeaderLineBytes: 64 * 1024,
});

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
