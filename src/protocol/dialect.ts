/**
 * How frames read in each STOMP version, for {@link StompParser}: the per-version dialect table
 * (commands, body rules, escapes, CR stripping, heart-beats) and the reading of header text by
 * it: splitting lines at the first ':', refusing raw ':' and CR where escaping applies, and
 * unescaping. Errors are plain `Error`s whose message the parser wraps in a
 * `StompFrameError` with the frame's command.
 *
 * @example
 * ```ts
 * import { DIALECTS, parseHeader } from "./dialect.ts";
 * const { unescapes, forbiddenRaw } = DIALECTS["1.2"];
 * console.log(parseHeader("key:a\\cb", unescapes, forbiddenRaw, false)); // [ "key", "a:b" ]
 * ```
 *
 * @module
 */

import { SPEC, type StompVersion } from "./spec.ts";

const CR = 0x0d;

/**
 * Per-version lookups, derived once from the spec tables so the parser reads them without
 * building anything per frame.
 *
 * @example
 * ```ts
 * import type { Dialect } from "./dialect.ts";
 * import { DIALECTS } from "./dialect.ts";
 * const dialect: Dialect = DIALECTS["1.0"];
 * console.log(dialect.heartBeats); // false
 * ```
 */
export interface Dialect {
  /** Every command, client and server, that a frame may start with. */
  readonly commands: ReadonlySet<string>;
  /** The commands that may carry a body; undefined when every command may. */
  readonly bodyCommands: ReadonlySet<string> | undefined;
  /** Escape character → raw text (`c` → `:`); undefined when the version does not escape. */
  readonly unescapes: Readonly<Record<string, string>> | undefined;
  /** Matches the raw characters an escaped header may not hold; undefined when none are refused. */
  readonly forbiddenRaw: RegExp | undefined;
  /** Whether a CR before an LF belongs to the EOL (1.2) rather than to the text. */
  readonly stripCR: boolean;
  /** Whether an EOL between frames is a heart-beat (1.1+) rather than padding. */
  readonly heartBeats: boolean;
}

/**
 * The {@link Dialect} of every version.
 *
 * @example
 * ```ts
 * import { DIALECTS } from "./dialect.ts";
 * console.log(DIALECTS["1.2"].stripCR, DIALECTS["1.1"].stripCR); // true false
 * ```
 */
export const DIALECTS: Readonly<Record<StompVersion, Dialect>> = Object.fromEntries(
  Object.entries(SPEC).map(([v, spec]) => [v, {
    commands: new Set([...spec.clientCommands, ...spec.serverCommands]),
    bodyCommands: spec.bodyCommands,
    unescapes: Object.keys(spec.unescapes).length > 0 ? spec.unescapes : undefined,
    forbiddenRaw: spec.forbiddenRaw ? new RegExp(`[${spec.forbiddenRaw}]`) : undefined,
    stripCR: spec.stripCR,
    heartBeats: spec.heartBeats,
  }]),
) as unknown as Record<StompVersion, Dialect>;

/**
 * Quotes text for an error message, cut after 40 characters so a huge line stays readable.
 *
 * @example
 * ```ts
 * import { quote } from "./dialect.ts";
 * console.log(quote("FOO")); // "FOO" (quotes included)
 * ```
 */
export const quote = (text: string): string =>
  JSON.stringify(text.length > 40 ? text.slice(0, 40) + "…" : text);

/**
 * Unescapes header text with `table`. One pass over the text, so `\\n` decodes to a backslash
 * and an `n` rather than a line feed. Throws for an undefined escape or a trailing backslash.
 *
 * @example
 * ```ts
 * import { unescape } from "./dialect.ts";
 * console.log(unescape("a\\cb", { c: ":" })); // "a:b"
 * ```
 */
export function unescape(text: string, table: Readonly<Record<string, string>>): string {
  let at = text.indexOf("\\");
  if (at < 0) return text;
  let out = "", from = 0;
  while (at >= 0) {
    const c = text.charAt(at + 1);
    const raw = c === "" ? undefined : table[c];
    if (raw === undefined) {
      throw new Error(
        c === "" ? "header ends with a lone backslash" : `undefined escape sequence \\${c} in a header`,
      );
    }
    out += text.slice(from, at) + raw;
    from = at + 2;
    at = text.indexOf("\\", from);
  }
  return out + text.slice(from);
}

/**
 * Splits one header line (its CR already stripped) and unescapes it with `unescapes` when given.
 * `forbidden` is checked when the line may hold a raw ':' or CR (`hasCR`, or a second ':').
 *
 * @example
 * ```ts
 * import { parseHeader } from "./dialect.ts";
 * console.log(parseHeader("a:b:c", undefined, undefined, false)); // [ "a", "b:c" ]
 * ```
 */
export function parseHeader(
  line: string,
  unescapes: Readonly<Record<string, string>> | undefined,
  forbidden: RegExp | undefined,
  hasCR: boolean,
): [string, string] {
  const colon = line.indexOf(":");
  if (colon < 0) throw new Error(`header line without ':' ${quote(line)}`);
  if (
    forbidden !== undefined && (hasCR || line.indexOf(":", colon + 1) >= 0) &&
    (forbidden.test(line.slice(colon + 1)) || forbidden.test(line.slice(0, colon)))
  ) {
    throw new Error(`unescaped ':' or CR in header ${quote(line)}`);
  }
  return unescapes === undefined
    ? [line.slice(0, colon), line.slice(colon + 1)]
    : [unescape(line.slice(0, colon), unescapes), unescape(line.slice(colon + 1), unescapes)];
}

/**
 * The parser's fast path for a decoded header block: pushes onto `headers` every header line of
 * `text` from `from` (the line after the command) through `end` (the last line's LF). It finds
 * each ':' once for the whole block rather than once per line, and hands a line to
 * {@link parseHeader} only when it may hold a raw ':' or CR, so both paths throw the same message.
 * `stripCR` drops a CR before each LF; `hasCR` says the block holds a CR at all.
 *
 * @example
 * ```ts
 * import { parseHeaderLines } from "./dialect.ts";
 * const text = "MESSAGE\ndestination:/queue/a\nmessage-id:1\n\n";
 * const headers: [string, string][] = [];
 * parseHeaderLines(text, 8, text.indexOf("\n\n"), false, false, undefined, undefined, headers);
 * console.log(headers); // [ [ "destination", "/queue/a" ], [ "message-id", "1" ] ]
 * ```
 */
export function parseHeaderLines(
  text: string,
  from: number,
  end: number,
  stripCR: boolean,
  hasCR: boolean,
  unescapes: Readonly<Record<string, string>> | undefined,
  forbidden: RegExp | undefined,
  headers: [string, string][],
): void {
  let p = from, colon = text.indexOf(":", p);
  while (p <= end) {
    const lf = text.indexOf("\n", p);
    let lineEnd = lf;
    if (stripCR && text.charCodeAt(lf - 1) === CR) lineEnd = lf - 1;
    if (colon < 0 || colon > lineEnd) {
      throw new Error(`header line without ':' ${quote(text.slice(p, lineEnd))}`);
    }
    let next = text.indexOf(":", colon + 1);
    if (next >= 0 && next < lineEnd || hasCR && forbidden !== undefined) {
      if (forbidden !== undefined) {
        // A raw ':' in the value, or a raw CR anywhere: the line reader's check, same message.
        headers.push(parseHeader(text.slice(p, lineEnd), unescapes, forbidden, hasCR));
        p = lf + 1;
        colon = next > lf || next < 0 ? next : text.indexOf(":", p);
        continue;
      }
      if (next >= 0 && next < lf) next = text.indexOf(":", lf + 1);
    }
    const name = text.slice(p, colon), value = text.slice(colon + 1, lineEnd);
    headers.push(unescapes ? [unescape(name, unescapes), unescape(value, unescapes)] : [name, value]);
    p = lf + 1;
    colon = next;
  }
}
