/**
 * Event-driven waits for the test broker: a condition re-checked whenever the broker changes,
 * bounded by a timeout and an optional AbortSignal, never by sleeping.
 *
 * @module
 */

import { deadline } from "../connection/wait.ts";

/**
 * How long a test broker wait may take.
 *
 * @example
 * ```ts
 * import type { StompTestWaitOptions } from "./wait.ts";
 * const options: StompTestWaitOptions = { timeout: 500, signal: AbortSignal.timeout(1000) };
 * ```
 */
export interface StompTestWaitOptions {
  /** Milliseconds before the wait rejects with StompCancelledError (default 5000; Infinity: none). */
  readonly timeout?: number;
  /** Aborting rejects the wait with StompCancelledError (`cause`: the signal's reason). */
  readonly signal?: AbortSignal;
}

/**
 * The default bound of every test broker wait, in ms.
 *
 * @example
 * ```ts
 * import { DEFAULT_WAIT_TIMEOUT } from "./wait.ts";
 * console.log(DEFAULT_WAIT_TIMEOUT); // 5000
 * ```
 */
export const DEFAULT_WAIT_TIMEOUT = 5000;

/** Conditions waiting for the next change. */
export class Waiters {
  readonly #waiters = new Set<() => void>();

  /** Re-checks every pending condition. */
  changed(): void {
    for (const test of [...this.#waiters]) test();
  }

  /**
   * Resolves with the first value of `check` other than undefined, null or false, checked now and
   * after every change; a throwing check rejects the wait with its error.
   */
  until<T>(
    check: () => T | undefined | null | false,
    options: StompTestWaitOptions,
    what: string,
  ): Promise<T> {
    const { timeout = DEFAULT_WAIT_TIMEOUT, signal } = options;
    if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0) {
      return Promise.reject(new TypeError(`${what}: timeout must be a non-negative number, got ${timeout}`));
    }
    let test!: () => void;
    const met = new Promise<T>((resolve, reject) => {
      test = () => {
        let value: T | undefined | null | false;
        try {
          value = check();
        } catch (e) {
          return reject(e);
        }
        if (value !== undefined && value !== null && value !== false) resolve(value as T);
      };
    });
    if (signal?.aborted) return deadline(met, { signal }, what);
    this.#waiters.add(test);
    test();
    return deadline(met, { timeout, signal }, what).finally(() => this.#waiters.delete(test));
  }
}
