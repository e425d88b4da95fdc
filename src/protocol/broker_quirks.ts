/**
 * Where a broker departs from the spec in a way that loses messages, as data keyed by the product in the
 * CONNECTED `server` header. The session consults it before a SUBSCRIBE goes out and refuses what the
 * broker would turn into a silent loss.
 *
 * @module
 */

import { getHeader, toPairs } from "./command_checks.ts";
import { StompFrameError } from "../errors.ts";
import { StompProtocolError } from "./protocol_error.ts";
import { Header } from "./spec.ts";
import type { StompFrame, StompHeadersInit } from "./frame.ts";
import type { StompToken } from "./server_frames.ts";

/** A broker's departures from the spec that the session guards against. */
export interface StompBrokerQuirks {
  /**
   * Characters a subscription id must not hold: the broker copies the id into every `message-id`
   * without escaping it, so none of the subscription's MESSAGE frames could be parsed.
   */
  readonly forbiddenInSubscriptionId?: RegExp;
  /**
   * A `client` ACK (or NACK) settles every earlier message of the connection, of every subscription,
   * where the spec says: of its own subscription.
   */
  readonly clientAckSpansConnection?: boolean;
  /**
   * An ERROR the broker sends, without closing the connection, for a delivery that was already on its
   * way to a subscription the client has just ended: the delivery raced the UNSUBSCRIBE. `message` is
   * the ERROR's `message` header; `body` finds the consumer tag in its body, whose prefix `tags` maps
   * to the SUBSCRIBE header it was made from.
   */
  readonly lateDeliveryError?: {
    readonly message: string;
    readonly body: RegExp;
    readonly tags: Readonly<Record<string, typeof Header.ID | typeof Header.DESTINATION>>;
  };
  /**
   * Transports (URI schemes) on which the broker answers a DISCONNECT that asks for a receipt by
   * closing the connection cleanly, without the RECEIPT: there the clean close is the confirmation.
   */
  readonly closesInsteadOfDisconnectReceipt?: ReadonlySet<string>;
  /**
   * Headers that make a NACK final: the broker would otherwise requeue the message at once and
   * deliver it again (to the same consumer, in a loop, for a message it cannot take).
   */
  readonly finalNackHeaders?: Readonly<Record<string, string>>;
  /**
   * What the broker does to the header names and values of a STOMP 1.0 frame it is sent, where
   * that departs from 1.0 (no escapes: every byte is kept). A header matching one is refused.
   */
  readonly headers10?: readonly StompHeaderQuirk[];
}

/**
 * One way a broker changes or drops a header it reads: the text it applies to and what it does.
 *
 * @example
 * ```ts
 * import type { StompHeaderQuirk } from "./broker_quirks.ts";
 * const trims: StompHeaderQuirk = { pattern: /^ | $/, effect: "strips leading and trailing spaces" };
 * ```
 */
export interface StompHeaderQuirk {
  /** Matches a header name or value the broker would not keep as sent. */
  readonly pattern: RegExp;
  /** What the broker does then, for the error message. */
  readonly effect: string;
}

/**
 * The known quirks by product (the `server` header up to its `/`). Measured against RabbitMQ 3.10:
 * with a `client-individual` subscription B holding an unacked message, a `client` ACK of a message
 * of subscription A acked B's as well, and it never came back after a reconnect; ActiveMQ 5.17
 * redelivered it, as the spec requires. RabbitMQ's Web-STOMP answers DISCONNECT with a WebSocket close
 * 1000 and no RECEIPT (tests/integration/sync_basic_test.ts "DISCONNECT with receipt" proves it on ws
 * and wss, where a RECEIPT before the EOF would fail it; its plain STOMP listener sends the RECEIPT).
 * After an UNSUBSCRIBE of an auto-ack subscription that
 * messages were flowing to, RabbitMQ answered each delivery still in flight with
 * `ERROR message:Subscription not found` ("There is no current subscription with tag 'T_<id>'.",
 * `Q_<destination>` for a 1.0 subscription without id) and kept the connection open; ActiveMQ sends
 * nothing for them.
 *
 * @example
 * ```ts
 * import { BROKER_QUIRKS } from "./broker_quirks.ts";
 * console.log(BROKER_QUIRKS.RabbitMQ.clientAckSpansConnection); // true
 * ```
 */
export const BROKER_QUIRKS: Readonly<Record<string, StompBrokerQuirks>> = {
  RabbitMQ: {
    forbiddenInSubscriptionId: /[:\\]/,
    clientAckSpansConnection: true,
    closesInsteadOfDisconnectReceipt: new Set(["ws", "wss"]),
    finalNackHeaders: { requeue: "false" },
    headers10: [
      {
        pattern: /\\/,
        effect:
          "reads 1.0 headers with STOMP 1.1 escaping: \\n, \\c, \\r and \\\\ are decoded, and any other " +
          "backslash makes it close the connection without an ERROR (the frame is lost)",
      },
      { pattern: /^ /, effect: "strips leading spaces from 1.0 headers" },
    ],
    lateDeliveryError: {
      message: "Subscription not found",
      body: /^There is no current subscription with tag '(T_|Q_)(.*)'\.\s*$/s,
      tags: { T_: Header.ID, Q_: Header.DESTINATION },
    },
  },
  ActiveMQ: {
    headers10: [
      {
        pattern: /\\[nc\\]/,
        effect: "decodes \\n, \\c and \\\\ in 1.0 headers as STOMP 1.1 escapes (and writes a decoded line " +
          "feed raw to 1.0 consumers, where it becomes a header line of its own)",
      },
      { pattern: /^ | $/, effect: "strips leading and trailing spaces from 1.0 headers" },
    ],
  },
};

/**
 * The quirks of the broker that sent `server` (e.g. `RabbitMQ/3.10.8`); none for an unknown one.
 *
 * @example
 * ```ts
 * import { brokerQuirks } from "./broker_quirks.ts";
 * console.log(brokerQuirks("Apollo/1.7.1")); // {}
 * ```
 */
export function brokerQuirks(server: string | undefined): StompBrokerQuirks {
  if (server === undefined) return {};
  return BROKER_QUIRKS[server.split("/", 1)[0]] ?? {};
}

/**
 * Throws a {@link StompFrameError}, before anything is sent, for a header of a STOMP 1.0 `frame`
 * that the broker which sent `server` would change or drop (see {@link StompBrokerQuirks.headers10}).
 * STOMP 1.1 and later escape header text, and these brokers keep it exactly there.
 *
 * @example
 * ```ts
 * import { checkHeaders10 } from "./broker_quirks.ts";
 * import { StompFrame } from "./frame.ts";
 * const frame = new StompFrame("SEND", { destination: "/queue/a", path: "C:\\new" }, undefined, "1.0");
 * try {
 *   checkHeaders10("RabbitMQ/3.10.8", frame);
 * } catch (e) {
 *   console.log((e as Error).message); // header "path" value "C:\\new" cannot be sent to RabbitMQ over STOMP 1.0: ...
 * }
 * ```
 */
export function checkHeaders10(server: string | undefined, frame: StompFrame): void {
  if (frame.version !== "1.0") return;
  const quirks = brokerQuirks(server).headers10;
  if (quirks === undefined) return;
  const product = server?.split("/", 1)[0];
  for (const [name, value] of frame.rawHeaders) {
    for (const { pattern, effect } of quirks) {
      const which = pattern.test(name) ? "name" : pattern.test(value) ? "value" : undefined;
      if (which === undefined) continue;
      throw new StompFrameError(
        `${frame.command}: header ${JSON.stringify(name)} ${
          which === "value" ? `value ${JSON.stringify(value)} ` : ""
        }` +
          `cannot be sent to ${product} over STOMP 1.0: ${product} ${effect}. Nothing was sent; connect with ` +
          "STOMP 1.1 or later (which escapes header text) to send it unchanged.",
      );
    }
  }
}

/**
 * Whether a clean close may stand for the RECEIPT of a DISCONNECT: only where the broker that sent
 * `server` is known to close without it on this transport (`scheme`, e.g. `ws`). Anywhere else a
 * close before the RECEIPT means the broker may not have processed what came before.
 *
 * @example
 * ```ts
 * import { closeConfirmsDisconnect } from "./broker_quirks.ts";
 * console.log(closeConfirmsDisconnect("RabbitMQ/3.10.8", "ws"), closeConfirmsDisconnect("RabbitMQ/3.10.8", "tcp")); // true false
 * ```
 */
export function closeConfirmsDisconnect(server: string | undefined, scheme: string | undefined): boolean {
  return scheme !== undefined && brokerQuirks(server).closesInsteadOfDisconnectReceipt?.has(scheme) === true;
}

/**
 * The subscription token an ERROR from the broker that sent `server` names when it is that broker's
 * {@link StompBrokerQuirks.lateDeliveryError} (a delivery that raced an UNSUBSCRIBE), else undefined.
 *
 * @example
 * ```ts
 * import { lateDeliveryToken } from "./broker_quirks.ts";
 * import { StompFrame } from "./frame.ts";
 * const error = new StompFrame("ERROR", { message: "Subscription not found" }, "There is no current subscription with tag 'T_s1'.");
 * console.log(lateDeliveryToken("RabbitMQ/3.10.8", error)); // "id:s1"
 * ```
 */
export function lateDeliveryToken(server: string | undefined, frame: StompFrame): StompToken | undefined {
  const quirk = brokerQuirks(server).lateDeliveryError;
  if (!quirk || frame.command !== "ERROR" || frame.headers[Header.MESSAGE] !== quirk.message) {
    return undefined;
  }
  const match = quirk.body.exec(frame.text());
  const header = match ? quirk.tags[match[1]] : undefined;
  return header === undefined ? undefined : `${header}:${match![2]}` as StompToken;
}

/**
 * The ack mode in SUBSCRIBE headers (the first `ack`, as a broker reads them; `auto` when absent).
 *
 * @example
 * ```ts
 * import { ackModeOf } from "./broker_quirks.ts";
 * console.log(ackModeOf([["ack", "client"], ["ack", "auto"]]), ackModeOf({})); // "client" "auto"
 * ```
 */
export function ackModeOf(headers: StompHeadersInit): string {
  return getHeader(toPairs(headers), Header.ACK) ?? "auto";
}

/** A subscription as the check below sees it. */
export interface StompSubscriptionAck {
  readonly id?: string;
  readonly destination: string;
  readonly ack: string;
  /** Unsubscribed, but on the same connection: messages it was sent and never acked are still outstanding. */
  readonly ended?: boolean;
}

/**
 * Throws a {@link StompProtocolError} if subscribing `next` beside `existing` would lose messages on
 * the broker that sent `server`. On RabbitMQ a `client` subscription may share its connection only
 * with `auto` ones: a `client` ACK there would also ack the other subscriptions' unprocessed messages,
 * those of subscriptions already ended on the connection included (an UNSUBSCRIBE leaves them unacked).
 *
 * @example
 * ```ts
 * import { checkSubscription } from "./broker_quirks.ts";
 * const existing = [{ id: "b", destination: "/queue/b", ack: "client-individual" }];
 * try {
 *   checkSubscription("RabbitMQ/3.10.8", { id: "a", destination: "/queue/a", ack: "client" }, existing);
 * } catch (e) {
 *   console.log((e as Error).name); // "StompProtocolError"
 * }
 * ```
 */
export function checkSubscription(
  server: string | undefined,
  next: StompSubscriptionAck,
  existing: Iterable<StompSubscriptionAck>,
): void {
  const quirks = brokerQuirks(server);
  const product = server?.split("/", 1)[0];
  if (next.id !== undefined && quirks.forbiddenInSubscriptionId?.test(next.id)) {
    throw new StompProtocolError(
      `subscription id ${JSON.stringify(next.id)} contains ':' or '\\', which ${product} copies unescaped ` +
        "into message-id (its MESSAGE frames could not be parsed); choose another id",
    );
  }
  if (!quirks.clientAckSpansConnection || next.ack === "auto") return;
  for (const other of existing) {
    if (other.ack === "auto" || (other.ack !== "client" && next.ack !== "client")) continue;
    const name = (s: StompSubscriptionAck) =>
      `${s.destination} (id ${s.id ?? "none"}, ack ${s.ack}${
        s.ended ? ", ended: its unacked messages stay outstanding" : ""
      })`;
    throw new StompProtocolError(
      `cannot subscribe to ${name(next)} beside ${name(other)} on one connection: ${product} applies a ` +
        `"client" ACK to every earlier message of the connection, of every subscription, so acking one ` +
        `subscription's message would ack the other's unprocessed ones and a crash would lose them. ` +
        `Use ack "client-individual" (STOMP 1.1+), or a connection of its own for the "client" subscription.`,
    );
  }
}
