/**
 * What a subscriber of the async client chooses: {@link StompSubscribeOptions} (ack mode, window,
 * buffer, handler and its failure policy) and the handler types.
 *
 * @module
 */

import type { StompReceiptOptions } from "../connection/wait.ts";
import type { StompAckMode } from "../protocol/spec.ts";
import type { StompMessage } from "./message.ts";

/**
 * A message handler; with client acks the message is acked after it resolves (unless it settled
 * the message itself, or the subscription says `ack: false`).
 *
 * @example
 * ```ts
 * import type { StompMessageHandler } from "./subscribe_options.ts";
 * const handler: StompMessageHandler = async (msg) => console.log(msg.json());
 * ```
 */
export type StompMessageHandler = (message: StompMessage) => unknown;

/**
 * Replaces the default policy for a failed handler (send a copy to `errorDestination`, or else
 * disconnect gracefully so the unacknowledged message comes back), as stompest's `onMessageFailed`.
 * When it returns (or resolves) the message is acked, unless it settled the message itself or the
 * subscription says `ack: false`; when it throws, the client disconnects gracefully with that error
 * (the message is not acked, so the broker redelivers it).
 *
 * @example
 * ```ts
 * import type { StompMessageFailedHandler } from "./subscribe_options.ts";
 * const logOnly: StompMessageFailedHandler = (error, msg) => console.error(msg.id, error); // then acked
 * const requeue: StompMessageFailedHandler = (_error, msg) => msg.nack(); // settled: not acked
 * ```
 */
export type StompMessageFailedHandler = (error: unknown, message: StompMessage) => unknown;

/**
 * Options of the async client's `subscribe`.
 *
 * @example
 * ```ts
 * import type { StompSubscribeOptions } from "./subscribe_options.ts";
 * const options: StompSubscribeOptions = {
 *   ack: "client-individual",
 *   handler: async (msg) => console.log(msg.text()),
 *   errorDestination: "/queue/errors",
 * };
 * const selfAcking: StompSubscribeOptions = { ack: false, handler: (msg) => msg.ack() };
 * ```
 */
export interface StompSubscribeOptions extends StompReceiptOptions {
  /**
   * Ack mode; the `ack` header wins when both are given. Default `auto`, or with a handler
   * `client-individual` (`client` in 1.0, which has nothing else). A `client` ACK is cumulative,
   * and on RabbitMQ it covers every earlier message of the connection, of every subscription: there
   * a `client` subscription beside another non-`auto` one (or after one ended on the same
   * connection) is refused with a `StompProtocolError` (give it a connection of its own, or use
   * `client-individual`).
   *
   * With a handler, `false` is stompest's `ack=False`: the client never acks the handler's messages,
   * the handler (or `onMessageFailed`) settles each itself with `ack()`/`nack()`, within the window;
   * the mode is then the handler default (or the `ack` header's). `true` is the default behaviour.
   */
  readonly ack?: StompAckMode | boolean;
  /** Client acks: unacked messages allowed at once, told to the broker as its prefetch. Default 100. */
  readonly window?: number;
  /** Auto ack: messages buffered before the subscription fails as a slow consumer. Default 1000. */
  readonly bufferSize?: number;
  /** Consume with this handler instead of iterating. */
  readonly handler?: StompMessageHandler;
  /** Where a copy of a message whose handler threw is sent (then the original is acked). */
  readonly errorDestination?: string;
  /** Replaces the failed-handler policy (see {@link StompMessageFailedHandler}). */
  readonly onMessageFailed?: StompMessageFailedHandler;
  /** Handler calls running at once (default 1, which keeps order; always 1 with `client` acks). */
  readonly concurrency?: number;
  /** Aborting ends the subscription (and the wait for its receipt). */
  readonly signal?: AbortSignal;
}
