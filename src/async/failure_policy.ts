/**
 * What the async client does when a message handler throws: the subscription's `onMessageFailed`
 * (then the message is acked unless the hook settled it; a hook that throws disconnects), else a copy
 * to its `errorDestination` (then the original is acked), else a graceful disconnect. Whichever
 * applies, a message is never silently dropped: what is not acked comes back.
 *
 * @module
 */

import type { StompBody, StompHeadersInit } from "../protocol/frame.ts";
import { RESERVED_MESSAGE_HEADERS } from "../protocol/spec.ts";
import type { StompMessage } from "./message.ts";
import type { StompReceiptOptions } from "./options.ts";
import type { StompAsyncSubscription, StompSubscribeOptions } from "./subscription.ts";

/**
 * What the policy needs from the client: sending the error copy, disconnecting when all else failed.
 *
 * @example
 * ```ts
 * import type { StompFailureHost } from "./failure_policy.ts";
 * const host: StompFailureHost = {
 *   send: async (destination) => console.log("copy to", destination),
 *   disconnect: async ({ reason }) => console.log("disconnect:", reason?.message),
 * };
 * ```
 */
export interface StompFailureHost {
  /** Sends the copy of a failed message (with a receipt, so it is stored before the original is acked). */
  send(
    destination: string,
    body?: StompBody,
    headers?: StompHeadersInit,
    options?: StompReceiptOptions,
  ): Promise<void>;
  /** Disconnects gracefully with `reason`, which `disconnected` then rejects with. */
  disconnect(options: { reason?: Error }): Promise<void>;
}

/**
 * The failed-handler policies of a client's handler subscriptions.
 *
 * @example
 * ```ts ignore
 * import { FailurePolicies } from "./failure_policy.ts";
 * const policies = new FailurePolicies(client);
 * policies.set(sub, { handler, errorDestination: "/queue/errors" });
 * await policies.apply(sub, message, new Error("handler failed")); // true: copied to /queue/errors, acked
 * ```
 */
export class FailurePolicies {
  #host: StompFailureHost;
  #policies = new WeakMap<StompAsyncSubscription, StompSubscribeOptions>();

  /** Policies that send and disconnect through `host`. */
  constructor(host: StompFailureHost) {
    this.#host = host;
  }

  /** Records `sub`'s policy (its `errorDestination` and `onMessageFailed`). */
  set(sub: StompAsyncSubscription, options: StompSubscribeOptions): void {
    this.#policies.set(sub, options);
  }

  /**
   * Applies `sub`'s policy to `message`, whose handler threw `error`, as stompest does: the hook, or
   * else the copy to the error destination (then the original is acked), or else a graceful
   * disconnect. True when the failure was handled: the caller then acks the message as after a
   * success (unless it is settled, or the subscription says `ack: false`). False when the policy
   * (or the hook, by throwing) disconnects instead: the message stays unacked and comes back. Never
   * rejects.
   */
  async apply(sub: StompAsyncSubscription, message: StompMessage, error: unknown): Promise<boolean> {
    const policy = this.#policies.get(sub) ?? {};
    try {
      if (policy.onMessageFailed) {
        await policy.onMessageFailed(error, message);
      } else if (policy.errorDestination) {
        await this.#host.send(policy.errorDestination, message.body, failedCopy(message, error), {
          receipt: true,
        });
        // The copy is stored: the original is done with, even when the handler acks its own.
        await message.ack();
      } else {
        throw error;
      }
      return true;
    } catch (failure) {
      // Not acked: the broker redelivers the message on the next connection.
      const reason = failure instanceof Error ? failure : new Error(String(failure));
      this.#host.disconnect({ reason }).catch(() => {});
      return false;
    }
  }
}

/**
 * The headers of the copy of a failed message for an error destination: the broker's headers
 * dropped (they describe the original delivery), `persistent`, and the error as `message-failed`.
 *
 * @example
 * ```ts
 * import { failedCopy } from "./failure_policy.ts";
 * import { StompMessage } from "./message.ts";
 * import { StompFrame } from "../protocol/frame.ts";
 * const frame = new StompFrame("MESSAGE", { destination: "/queue/a", "message-id": "7", type: "order" });
 * const message = new StompMessage(frame, 1, { settle: () => Promise.resolve() }, true);
 * console.log(failedCopy(message, new Error("bad")));
 * // { type: "order", persistent: "true", "message-failed": "Error: bad" }
 * ```
 */
export function failedCopy(message: StompMessage, error: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of message.frame.rawHeaders) {
    if (!RESERVED_MESSAGE_HEADERS.has(name) && headers[name] === undefined) headers[name] = value;
  }
  headers.persistent = "true";
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // One line and bounded, so it can be written in every version (1.0 cannot escape a line feed).
  headers["message-failed"] = text.replace(/[\r\n\0]+/g, " ").slice(0, 1000);
  return headers;
}
