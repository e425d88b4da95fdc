/**
 * Checks for the extra headers of CONNECT and DISCONNECT (from the config, or from a
 * `beforeConnect` hook): these frames are written unescaped, and a header that has its own option
 * (the passcode above all) must not be set twice.
 *
 * @module
 */

/**
 * CONNECT headers that have their own option: a second way to set them would make it unclear
 * which one wins, and a passcode in `headers` would escape the redaction.
 */
export const OWN_HEADERS: ReadonlySet<string> = new Set([
  "login",
  "passcode",
  "host",
  "accept-version",
  "heart-beat",
]);

/** DISCONNECT headers the client writes itself. */
export const RESERVED_DISCONNECT: ReadonlySet<string> = new Set(["receipt"]);

// CONNECT headers are never escaped, so these would split or end the frame.
const LINE_BREAK = /[\r\n\0]/;

/** A header value for `name`: a string without CR, LF or NUL, else a TypeError naming the option. */
export function headerText(name: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`option ${name} must be a string, got ${typeof value}`);
  if (LINE_BREAK.test(value)) throw new TypeError(`option ${name} must not contain CR, LF or NUL`);
  return value;
}

/**
 * Checks extra frame headers (a record or ordered pairs): names without `:`, CR, LF, NUL; values without CR, LF, NUL (the
 * frames they go on are not escaped); none of the `reserved` ones.
 */
export function checkedHeaders(
  option: string,
  frame: "CONNECT" | "DISCONNECT",
  headers: unknown,
  reserved: ReadonlySet<string>,
): Record<string, string> {
  if (headers === undefined) return {};
  if (headers === null || typeof headers !== "object") {
    throw new TypeError(`option ${option} must be an object`);
  }
  const out: Record<string, string> = {};
  // A record, or ordered [name, value] pairs of which the first of a repeated name is the one a broker reads.
  const entries = Array.isArray(headers)
    ? headers as ReadonlyArray<readonly [string, unknown]>
    : Object.entries(headers);
  for (const [name, value] of entries) {
    if (name === "" || /[:\r\n\0]/.test(name)) {
      throw new TypeError(`option ${option}: bad ${frame} header name ${JSON.stringify(name)}`);
    }
    if (reserved.has(name)) {
      throw new TypeError(
        `${frame} header ${JSON.stringify(name)} has its own option; do not set it in ${option}`,
      );
    }
    const text = headerText(`${option}[${JSON.stringify(name)}]`, value);
    if (!Object.hasOwn(out, name)) out[name] = text;
  }
  return out;
}
