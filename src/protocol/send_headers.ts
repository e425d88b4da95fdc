/**
 * The headers a client puts on a SEND: `content-length` by default, so a body survives any NUL
 * byte and the broker never scans for the end; leaving it out is an explicit choice.
 *
 * @module
 */

import type { StompBody, StompHeadersInit } from "./frame.ts";
import { encodeText } from "./pool.ts";

/**
 * SEND headers as a client passes them: a record may say `"content-length": false` to leave the
 * header out (ActiveMQ turns a message with one into a JMS BytesMessage).
 *
 * @example
 * ```ts
 * import type { StompSendHeaders } from "./send_headers.ts";
 * const headers: StompSendHeaders = { "content-type": "text/plain", "content-length": false };
 * ```
 */
export type StompSendHeaders = StompHeadersInit;

/**
 * Adds `content-length` (the body's byte length) unless the headers carry one or opt out with
 * `"content-length": false`; also returns the `transaction` header so the session can check it
 * is active, and the body as bytes: a string body is encoded here, once, and its length taken
 * from that encoding (pass `bytes` on, not the string).
 *
 * @example
 * ```ts
 * import { withContentLength } from "./send_headers.ts";
 * const { headers, bytes } = withContentLength("héllo", { priority: 4 });
 * console.log(headers, bytes?.length); // { priority: 4, "content-length": 6 } 6
 * ```
 */
export function withContentLength(
  body: StompBody | undefined,
  headers: StompHeadersInit | undefined,
): { headers: StompHeadersInit; transaction?: string; bytes?: Uint8Array } {
  const bytes = typeof body === "string" ? encodeText(body) : body;
  const length = bytes === undefined ? 0 : bytes.length;
  if (Array.isArray(headers)) {
    const pairs = headers as ReadonlyArray<readonly [string, string]>;
    const transaction = pairs.find(([k]) => k === "transaction")?.[1];
    const has = pairs.some(([k]) => k === "content-length");
    return { headers: has ? pairs : [...pairs, ["content-length", String(length)]], transaction, bytes };
  }
  const record = { ...(headers as Record<string, string | number | boolean | undefined> | undefined) };
  const transaction = record.transaction === undefined ? undefined : String(record.transaction);
  if (record["content-length"] === false) delete record["content-length"];
  else if (record["content-length"] === undefined) record["content-length"] = length;
  return { headers: record, transaction, bytes };
}
