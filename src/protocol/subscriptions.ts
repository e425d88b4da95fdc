/**
 * The subscriptions a session keeps: the active ones in subscription order (what a replay sends
 * again after a reconnect), and the acking ones ended on the current connection, which a broker's
 * quirks may still count ({@link ./broker_quirks.ts}).
 *
 * @module
 */

import { ackModeOf, checkSubscription, type StompSubscriptionAck } from "./broker_quirks.ts";
import { getHeader, toPairs } from "./command_checks.ts";
import type { StompToken } from "./commands.ts";
import type { StompHeadersInit } from "./frame.ts";
import { Header } from "./spec.ts";

/**
 * One active subscription as the session keeps it: what to send again after a reconnect
 * (`destination`, `headers` including any generated `id`, `receipt`) and the caller's `context`.
 *
 * @example
 * ```ts
 * import { StompSession } from "./session.ts";
 * const session = new StompSession<string>({ check: false });
 * const { token } = session.subscribe("/queue/a", { id: "s1" }, { context: "handler-a" });
 * console.log(session.subscription(token)?.context); // "handler-a"
 * ```
 */
export interface StompSubscription<C = unknown> {
  /** Matches this subscription's messages. */
  readonly token: StompToken;
  /** The subscription id (absent only for a 1.0 subscription without one). */
  readonly id?: string;
  /** The destination subscribed to. */
  readonly destination: string;
  /** A copy of the headers given, plus the generated `id` when there was none. */
  readonly headers: StompHeadersInit;
  /** The receipt asked for when subscribing. */
  readonly receipt?: string;
  /** The caller's context (e.g. the handler), returned by `StompSession.message`. */
  readonly context: C;
}

/**
 * A copy of SUBSCRIBE headers (the caller's object may change later; a replay must send these), with
 * `id` added when `id` is given and the headers have none.
 *
 * @example
 * ```ts
 * import { copySubscribeHeaders } from "./subscriptions.ts";
 * console.log(copySubscribeHeaders({ ack: "client" }, "s1")); // { ack: "client", id: "s1" }
 * ```
 */
export function copySubscribeHeaders(headers: StompHeadersInit | undefined, id?: string): StompHeadersInit {
  const copy: StompHeadersInit = headers === undefined
    ? {}
    : Array.isArray(headers)
    ? headers.map(([k, v]) => [k, v] as const)
    : { ...headers };
  if (id === undefined || getHeader(toPairs(copy), Header.ID) !== undefined) return copy;
  return Array.isArray(copy) ? [...copy, [Header.ID, id] as const] : { ...copy, [Header.ID]: id };
}

/** How many subscriptions ended on one connection are remembered for the messages still on their way. */
export const RECENTLY_ENDED = 256;

function ackView(s: StompSubscription<unknown>): StompSubscriptionAck {
  return { id: s.id, destination: s.destination, ack: ackModeOf(s.headers) };
}

/**
 * The session's subscriptions. `add` and `replay` refuse, before changing anything, what the broker
 * that sent `server` would turn into lost messages.
 *
 * @example
 * ```ts
 * import { SubscriptionRegistry } from "./subscriptions.ts";
 * const subs = new SubscriptionRegistry<string>();
 * subs.add({ token: "id:b", id: "b", destination: "/queue/b", headers: { ack: "client-individual" }, context: "b" }, "RabbitMQ/3.10.8");
 * subs.end("id:b");
 * try {
 *   subs.add({ token: "id:a", id: "a", destination: "/queue/a", headers: { ack: "client" }, context: "a" }, "RabbitMQ/3.10.8");
 * } catch (e) {
 *   console.log((e as Error).name); // "StompProtocolError": b's unacked messages are still on the connection
 * }
 * ```
 */
export class SubscriptionRegistry<C> {
  #active = new Map<StompToken, StompSubscription<C>>();
  // Acking subscriptions ended on this connection: an UNSUBSCRIBE leaves their unacked messages outstanding.
  #ended: StompSubscriptionAck[] = [];
  // The latest subscriptions ended on this connection, for the messages still on their way to them.
  #recentlyEnded = new Map<StompToken, StompSubscription<C>>();

  /** The active subscription for a token, or undefined. */
  get(token: StompToken): StompSubscription<C> | undefined {
    return this.#active.get(token);
  }

  /** Whether a subscription is active under `token`. */
  has(token: StompToken): boolean {
    return this.#active.has(token);
  }

  /** The active subscriptions, in subscription order. */
  values(): IterableIterator<StompSubscription<C>> {
    return this.#active.values();
  }

  /** Adds a subscription; throws (changing nothing) if the broker that sent `server` would lose messages. */
  add(sub: StompSubscription<C>, server: string | undefined): void {
    checkSubscription(server, ackView(sub), [...[...this.#active.values()].map(ackView), ...this.#ended]);
    this.#active.set(sub.token, sub);
  }

  /** Ends a subscription (unsubscribed or forgotten); returns whether it was active. */
  end(token: StompToken): boolean {
    const sub = this.#active.get(token);
    if (sub === undefined) return false;
    const view = ackView(sub);
    if (view.ack !== "auto") this.#ended.push({ ...view, ended: true });
    this.#recentlyEnded.delete(token);
    this.#recentlyEnded.set(token, sub);
    if (this.#recentlyEnded.size > RECENTLY_ENDED) {
      this.#recentlyEnded.delete(this.#recentlyEnded.keys().next().value!);
    }
    return this.#active.delete(token);
  }

  /**
   * A subscription ended on this connection (one of the latest {@link RECENTLY_ENDED}), which messages
   * sent before the broker saw the UNSUBSCRIBE may still reach.
   */
  ended(token: StompToken): StompSubscription<C> | undefined {
    return this.#active.has(token) ? undefined : this.#recentlyEnded.get(token);
  }

  /** A new connection: nothing ended on it yet. With `flush`, no subscription is kept either. */
  reset(flush: boolean): void {
    this.#ended = [];
    this.#recentlyEnded.clear();
    if (flush) this.#active.clear();
  }

  /**
   * Returns the subscriptions to send again on a new connection to `server`, in order, and forgets
   * them. A set that broker refuses is refused whole and kept, rather than losing the subscriptions
   * after the first refused one (a failover to another kind of broker).
   */
  replay(server: string | undefined): StompSubscription<C>[] {
    const all = [...this.#active.values()];
    const views = all.map(ackView);
    views.forEach((view, i) => checkSubscription(server, view, views.slice(0, i)));
    this.#active.clear();
    return all;
  }
}
