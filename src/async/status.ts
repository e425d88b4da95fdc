/**
 * Connection status as typed events, observable as async iterables.
 *
 * @module
 */

import type { StompBroker } from "../protocol/broker.ts";
import type { StompFrame } from "../protocol/frame.ts";
import type { StompFrameTooLargeError } from "../protocol/frame_too_large.ts";
import type { StompTlsInfo } from "../connection/tls_info.ts";

/**
 * Where an async client is: what `client.state` returns and the `state` status event carries.
 * A client that never connected is "closed".
 *
 * @example
 * ```ts
 * import type { StompClientState } from "./status.ts";
 * const label = (s: StompClientState) => s === "connected" ? "online" : s === "closed" ? "offline" : "…";
 * ```
 */
export type StompClientState = "connecting" | "connected" | "reconnecting" | "disconnecting" | "closed";

/**
 * One status change of an async client. Every `status()` iteration starts with a `state` event
 * holding the client's state at that moment. `unhandled` reports a frame the client could not route
 * (a MESSAGE for a subscription it does not know, a RECEIPT nobody waits for, a frame after the
 * client closed): never dropped silently. Such a MESSAGE is neither acked nor nacked (`action:
 * "left"`): the broker redelivers it when the subscription or the connection ends, where a NACK
 * would dead-letter it on ActiveMQ.
 *
 * @example
 * ```ts
 * import type { StompStatusEvent } from "./status.ts";
 * function log(e: StompStatusEvent) {
 *   if (e.type === "reconnecting") console.log("retrying", e.attempt, "in", e.delay, "ms");
 * }
 * ```
 */
export type StompStatusEvent =
  | { readonly type: "connecting"; readonly broker: StompBroker; readonly attempt: number }
  | {
    readonly type: "connected";
    readonly broker: StompBroker;
    readonly version: string;
    /** What TLS this connection negotiated, where the connector can tell (see `AsyncStomp.tls`). */
    readonly tls?: StompTlsInfo;
  }
  | { readonly type: "disconnected"; readonly error?: Error }
  | {
    readonly type: "reconnecting";
    readonly broker: StompBroker;
    readonly attempt: number;
    readonly delay: number;
  }
  | { readonly type: "heartbeat-timeout"; readonly silence: number }
  /**
   * A MESSAGE whose body broke a parser limit (`error.limit`) arrived without its body (`error.frame`
   * has its headers). With `client-individual` acks it was NACKed (`nacked`; on RabbitMQ with
   * `requeue:false`, so it goes to the dead-letter exchange if the queue has one, else is dropped;
   * ActiveMQ moves a persistent one to its DLQ). Otherwise it was skipped: with `client` acks the
   * next ACK covers it, with `auto` the broker already counts it delivered.
   */
  | {
    readonly type: "message-too-large";
    readonly error: StompFrameTooLargeError;
    readonly nacked: boolean;
  }
  | { readonly type: "error"; readonly error: Error }
  | { readonly type: "state"; readonly state: StompClientState }
  | {
    readonly type: "unhandled";
    readonly frame: StompFrame;
    /** Why the frame could not be routed. */
    readonly reason: string;
    /** What was done with it: a MESSAGE is "left" (not acked, not nacked); other frames are "ignored". */
    readonly action: "left" | "ignored";
  };

/** How many events one listener may fall behind before the oldest are dropped. */
const MAX_QUEUED = 256;

/**
 * Fans status events out to any number of async-iterator listeners, each with a bounded queue:
 * a listener that stops reading loses its oldest events rather than growing memory.
 *
 * @example
 * ```ts
 * import { StatusHub } from "./status.ts";
 * const hub = new StatusHub();
 * const events = hub.listen();
 * hub.emit({ type: "disconnected" });
 * hub.end();
 * for await (const e of events) console.log(e.type); // "disconnected"
 * ```
 */
export class StatusHub {
  #listeners = new Set<{ queue: StompStatusEvent[]; wake?: () => void }>();
  #ended = false;

  /** Sends an event to every listener. */
  emit(event: StompStatusEvent): void {
    for (const listener of this.#listeners) {
      listener.queue.push(event);
      if (listener.queue.length > MAX_QUEUED) listener.queue.shift();
      listener.wake?.();
    }
  }

  /** Ends every listener's iteration after its queued events. */
  end(): void {
    this.#ended = true;
    for (const listener of this.#listeners) listener.wake?.();
  }

  /**
   * A new listener: yields `first` (if given), then every event emitted from now on, until
   * {@link StatusHub.end} or `signal`.
   */
  listen(signal?: AbortSignal, first?: StompStatusEvent): AsyncIterableIterator<StompStatusEvent> {
    const listener: { queue: StompStatusEvent[]; wake?: () => void } = { queue: first ? [first] : [] };
    this.#listeners.add(listener);
    const remove = () => {
      this.#listeners.delete(listener);
      listener.wake?.();
    };
    signal?.addEventListener("abort", remove, { once: true });
    const iterator: AsyncIterableIterator<StompStatusEvent> = {
      next: async (): Promise<IteratorResult<StompStatusEvent>> => {
        for (;;) {
          if (listener.queue.length > 0) return { value: listener.queue.shift()!, done: false };
          if (this.#ended || !this.#listeners.has(listener)) return { value: undefined, done: true };
          await new Promise<void>((resolve) => listener.wake = resolve);
          listener.wake = undefined;
        }
      },
      return: (): Promise<IteratorResult<StompStatusEvent>> => {
        remove();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
