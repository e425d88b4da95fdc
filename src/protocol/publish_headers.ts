/**
 * The headers that make a resent SEND recognisable: one {@link PUBLISH_ID_HEADER} per publish,
 * kept on every copy, and a {@link RESEND_HEADER} count on the copies written again after a
 * connection loss. Both clients use them (AsyncStomp by itself, `Stomp` through
 * `StompUnconfirmedSends`); a consumer dedupes by the publish id.
 *
 * @module
 */

import type { StompHeadersInit } from "./frame.ts";

/**
 * The header that identifies one publish across its resends: a consumer that saw it already can
 * drop the copy. Set once per receipted send that may be resent (a value given by the caller is kept).
 *
 * @example
 * ```ts
 * import { PUBLISH_ID_HEADER } from "./publish_headers.ts";
 * console.log(PUBLISH_ID_HEADER); // "stompest-publish-id"
 * ```
 */
export const PUBLISH_ID_HEADER = "stompest-publish-id";

/**
 * The header a resent copy carries: how many times the send was written before (1 on the first
 * resend). The first copy has none.
 *
 * @example
 * ```ts
 * import { RESEND_HEADER } from "./publish_headers.ts";
 * console.log(RESEND_HEADER); // "stompest-resend"
 * ```
 */
export const RESEND_HEADER = "stompest-resend";

type HeaderRecord = Record<string, string | number | boolean | undefined>;
type HeaderPairs = ReadonlyArray<readonly [string, string]>;

/**
 * The headers with a {@link PUBLISH_ID_HEADER}: a fresh id unless the caller gave one.
 *
 * @example
 * ```ts
 * import { withPublishId } from "./publish_headers.ts";
 * console.log(withPublishId({ a: 1 })); // { a: 1, "stompest-publish-id": "0b6f…" }
 * console.log(withPublishId({ "stompest-publish-id": "order-7" })); // kept
 * ```
 */
export function withPublishId(headers: StompHeadersInit): StompHeadersInit {
  if (Array.isArray(headers)) {
    const pairs = headers as HeaderPairs;
    if (pairs.some(([name]) => name === PUBLISH_ID_HEADER)) return pairs;
    return [...pairs, [PUBLISH_ID_HEADER, crypto.randomUUID()]];
  }
  const record = headers as HeaderRecord;
  if (record[PUBLISH_ID_HEADER] !== undefined) return record;
  return { ...record, [PUBLISH_ID_HEADER]: crypto.randomUUID() };
}

/**
 * The headers of the `count`th resend: {@link RESEND_HEADER} set to `count` (replacing any).
 *
 * @example
 * ```ts
 * import { withResend } from "./publish_headers.ts";
 * console.log(withResend({ a: 1 }, 2)); // { a: 1, "stompest-resend": "2" }
 * ```
 */
export function withResend(headers: StompHeadersInit, count: number): StompHeadersInit {
  const value = String(count);
  if (Array.isArray(headers)) {
    const pairs = headers as HeaderPairs;
    return [[RESEND_HEADER, value], ...pairs.filter(([name]) => name !== RESEND_HEADER)];
  }
  return { ...(headers as HeaderRecord), [RESEND_HEADER]: value };
}
