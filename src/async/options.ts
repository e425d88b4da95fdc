/**
 * The options of the async client ({@link AsyncStompOptions}) and of its calls that may wait for a
 * RECEIPT ({@link StompReceiptOptions}), with the defaults the client fills in.
 *
 * @module
 */

import type { StompConfigOptions } from "../connection/config.ts";
import type { StompReceiptOptions } from "../connection/wait.ts";
import {
  DEFAULT_HEART_BEAT_FACTORS,
  factorsOfThresholds,
  type StompHeartBeatFactors,
  type StompHeartBeatThresholds,
  type StompTicker,
} from "./heartbeat.ts";
import { defaultTicker } from "./worker_ticker.ts";

/**
 * What the async client adds to {@link StompConfigOptions}.
 *
 * @example
 * ```ts
 * import type { AsyncStompOptions } from "./options.ts";
 * const options: AsyncStompOptions = { reconnect: true, receiptTimeout: 5000, heartBeatFactors: { send: 0.8, receive: 3 } };
 * ```
 */
export interface AsyncStompOptions {
  /** Reconnect (walking the failover URI) after an unexpected loss. Default true. */
  readonly reconnect?: boolean;
  /** Milliseconds to wait for a RECEIPT when the call gives no timeout. Default 10,000. */
  readonly receiptTimeout?: number;
  /** Heart-beat slack factors (default send 0.8, receive 3: why 3 is told in heartbeat.ts). */
  readonly heartBeatFactors?: StompHeartBeatFactors;
  /**
   * The same tolerances under stompest's name (its `HeartBeatListener(thresholds)`): `client` is
   * `heartBeatFactors.send`, `server` is `heartBeatFactors.receive`. Give one or the other.
   */
  readonly thresholds?: StompHeartBeatThresholds;
  /** Timers for heart-beats (default `defaultTicker()`: a Worker in browser pages, so background tabs keep beating). */
  readonly ticker?: StompTicker;
}

/**
 * {@link AsyncStompOptions} with every default filled in.
 *
 * @example
 * ```ts
 * import { type ResolvedAsyncStompOptions, resolveAsyncOptions } from "./options.ts";
 * const options: ResolvedAsyncStompOptions = resolveAsyncOptions({ reconnect: false });
 * console.log(options.receiptTimeout); // 10000
 * ```
 */
export type ResolvedAsyncStompOptions = Required<Omit<AsyncStompOptions, "ticker" | "thresholds">> & {
  ticker: StompTicker;
};
// Defined beside the other waits so that both clients share it; exported from here as before.
export type { StompReceiptOptions };

const ASYNC_KEYS = ["reconnect", "receiptTimeout", "heartBeatFactors", "thresholds", "ticker"] as const;

/**
 * The options without the async client's own keys: what is left is for {@link StompConfig}, which
 * would not know what to make of the others.
 *
 * @example
 * ```ts
 * import { configOptionsOf } from "./options.ts";
 * const rest = configOptionsOf({ login: "guest", reconnect: false });
 * console.log(Object.keys(rest)); // ["login"]
 * ```
 */
export function configOptionsOf(options: StompConfigOptions & AsyncStompOptions): Record<string, unknown> {
  const configOptions: Record<string, unknown> = { ...options };
  for (const key of ASYNC_KEYS) delete configOptions[key];
  return configOptions;
}

/**
 * Fills in the defaults. The default ticker is looked up only when none is given: in a browser page
 * it starts the page's shared Worker.
 *
 * @example
 * ```ts
 * import { resolveAsyncOptions } from "./options.ts";
 * console.log(resolveAsyncOptions({}).heartBeatFactors); // { send: 0.8, receive: 3 }
 * ```
 */
export function resolveAsyncOptions(options: AsyncStompOptions): ResolvedAsyncStompOptions {
  return {
    reconnect: options.reconnect ?? true,
    receiptTimeout: options.receiptTimeout ?? 10_000,
    heartBeatFactors: heartBeatFactorsOf(options),
    ticker: options.ticker ?? defaultTicker(),
  };
}

function heartBeatFactorsOf(options: AsyncStompOptions): StompHeartBeatFactors {
  if (options.thresholds === undefined) return options.heartBeatFactors ?? DEFAULT_HEART_BEAT_FACTORS;
  if (options.heartBeatFactors !== undefined) {
    throw new TypeError("give heartBeatFactors or thresholds (stompest's name for them), not both");
  }
  return factorsOfThresholds(options.thresholds);
}
