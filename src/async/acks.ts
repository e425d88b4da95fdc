/**
 * Acknowledgement in the async client: the ack mode a subscription gets, the prefetch its window
 * tells the broker, and the ACK/NACK frames that settle a message.
 *
 * @module
 */

import { getHeader, setHeader, toPairs } from "../protocol/command_checks.ts";
import { StompFrame, type StompHeadersInit } from "../protocol/frame.ts";
import type { StompSession } from "../protocol/session.ts";
import { SPEC, type StompAckMode, type StompVersion } from "../protocol/spec.ts";
import type { StompAckCallOptions } from "./message.ts";
import { receiptId } from "./receipts.ts";
import type { StompSubscribeOptions } from "./subscription.ts";

/**
 * A handler's default ack mode: ack each message on its own; in 1.0, which lacks that mode, `client`.
 *
 * @example
 * ```ts
 * import { individualAck } from "./acks.ts";
 * console.log(individualAck("1.2"), individualAck("1.0")); // "client-individual" "client"
 * ```
 */
export function individualAck(version: StompVersion): StompAckMode {
  return SPEC[version].ackModes.has("client-individual") ? "client-individual" : "client";
}

/**
 * The ack mode, window and SUBSCRIBE headers of a subscription. With client acks the window is
 * told to the broker as its prefetch (`prefetch-count` for RabbitMQ, `activemq.prefetchSize`),
 * so it never sends more than the subscription may hold; a prefetch in `headers` wins and becomes
 * the window. Headers may be a record or ordered pairs (kept in order, repeats included).
 *
 * @example
 * ```ts
 * import { subscribeHeaders } from "./acks.ts";
 * const { ack, window, headers } = subscribeHeaders("1.2", [["selector", "a = 1"]], { ack: "client", window: 10 });
 * console.log(ack, window, headers); // "client" 10 [["selector", "a = 1"], ["ack", "client"], ["prefetch-count", "10"], ...]
 * ```
 */
export function subscribeHeaders(
  version: StompVersion,
  headers: StompHeadersInit | undefined,
  options: StompSubscribeOptions,
): { ack: StompAckMode; window: number; headers: [string, string][] } {
  if (typeof options.ack === "boolean" && !options.handler) {
    throw new TypeError(
      `subscribe: ack: ${options.ack} says who acks a handler's messages; there is no handler`,
    );
  }
  const mode = typeof options.ack === "string" ? options.ack : undefined;
  let pairs = toPairs(headers);
  const ack =
    (getHeader(pairs, "ack") ?? mode ?? (options.handler ? individualAck(version) : "auto")) as StompAckMode;
  const given = getHeader(pairs, "prefetch-count") ?? getHeader(pairs, "activemq.prefetchSize");
  const window = options.window ?? (given === undefined ? 100 : Number(given));
  pairs = setHeader(pairs, "ack", ack);
  if (ack !== "auto" && given === undefined) {
    pairs.push(["prefetch-count", String(window)], ["activemq.prefetchSize", String(window)]);
  }
  return { ack, window, headers: pairs };
}

/**
 * The ACK or NACK frame for a MESSAGE frame, with its receipt id. Extra headers may not replace
 * those that identify the message, nor `receipt` or `transaction`: the frame would settle another
 * message or wait for the wrong receipt.
 *
 * @example
 * ```ts
 * import { settleFrame } from "./acks.ts";
 * import { StompSession } from "../protocol/session.ts";
 * import { StompFrame } from "../protocol/frame.ts";
 * const session = new StompSession({ version: "1.2", check: false }); // a connected session in real use
 * const message = new StompFrame("MESSAGE", { destination: "/queue/a", "message-id": "7", ack: "7" });
 * const { frame } = settleFrame(session, "nack", message, { headers: { requeue: "false" } });
 * console.log(frame.headers.requeue); // "false"
 * ```
 */
export function settleFrame(
  session: StompSession<unknown>,
  kind: "ack" | "nack",
  message: StompFrame,
  options: StompAckCallOptions,
): { frame: StompFrame; receipt: string | undefined } {
  if (options.headers !== undefined) {
    const reserved = SPEC[session.version].ackHeaders;
    for (const name of Object.keys(options.headers)) {
      if (Object.hasOwn(reserved, name) || name === "receipt" || name === "transaction") {
        throw new TypeError(`${kind}: header ${JSON.stringify(name)} cannot be given in headers`);
      }
    }
  }
  const receipt = receiptId(options.receipt, kind);
  const frame = session[kind](message, { receipt, transaction: options.transaction });
  return { frame: withExtraHeaders(frame, options.headers), receipt };
}

/** `frame` plus `extra` headers (checked by the caller not to clash with the frame's own). */
function withExtraHeaders(
  frame: StompFrame,
  extra: Readonly<Record<string, string>> | undefined,
): StompFrame {
  if (extra === undefined) return frame;
  return new StompFrame(
    frame.command,
    [...frame.rawHeaders, ...Object.entries(extra)],
    undefined,
    frame.version,
  );
}
