/**
 * Waiting with a bound: every wait in the library takes a timeout, an AbortSignal, or both, and
 * ends in a {@link StompCancelledError} rather than hanging.
 *
 * @module
 */

import { StompCancelledError } from "../errors.ts";

/** The longest delay a timer can take (2^31-1 ms, ~24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * How long a wait may take: `timeout` in milliseconds (none when undefined) and/or a `signal`.
 *
 * @example
 * ```ts
 * import type { StompWaitOptions } from "./wait.ts";
 * const options: StompWaitOptions = { timeout: 1000, signal: AbortSignal.timeout(5000) };
 * ```
 */
export interface StompWaitOptions {
  /** Milliseconds before the wait fails with {@link StompCancelledError}. */
  readonly timeout?: number;
  /** Aborting fails the wait with {@link StompCancelledError} (its `cause` is the signal's reason). */
  readonly signal?: AbortSignal;
}

/**
 * The trailing options of every call that may ask for a RECEIPT, on both clients: `receipt` asks
 * for one (`true` generates an id) and the call resolves once it arrived, within `timeout`
 * milliseconds and until `signal` aborts.
 *
 * @example
 * ```ts
 * import type { StompReceiptOptions } from "./wait.ts";
 * const options: StompReceiptOptions = { receipt: true, timeout: 2000 };
 * ```
 */
export interface StompReceiptOptions extends StompWaitOptions {
  /** Ask for a RECEIPT and wait for it (`true` generates an id). */
  readonly receipt?: boolean | string;
}

/**
 * Resolves `promise`'s outcome unless the timeout runs out or the signal aborts first; then
 * rejects with {@link StompCancelledError} naming `what`, after calling `onCancel` (e.g. to drop a
 * waiter). Timers are cleared either way.
 *
 * @example
 * ```ts
 * import { deadline } from "./wait.ts";
 * const value = await deadline(Promise.resolve(42), { timeout: 100 }, "the answer"); // 42
 * ```
 */
export function deadline<T>(
  promise: Promise<T>,
  { timeout, signal }: StompWaitOptions,
  what: string,
  onCancel?: () => void,
): Promise<T> {
  if ((timeout === undefined || timeout > MAX_TIMER_MS) && signal === undefined) return promise;
  if (signal?.aborted) {
    onCancel?.();
    promise.catch(() => {});
    return Promise.reject(new StompCancelledError(`${what} aborted`, { cause: signal.reason }));
  }
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const cancel = (error: StompCancelledError) => {
      cleanup();
      onCancel?.();
      promise.catch(() => {});
      reject(error);
    };
    const onAbort = () => cancel(new StompCancelledError(`${what} aborted`, { cause: signal?.reason }));
    // setTimeout fires at once for delays past 2^31-1 ms (Infinity included): those mean no timeout.
    if (timeout !== undefined && timeout <= MAX_TIMER_MS) {
      timer = setTimeout(
        () => cancel(new StompCancelledError(`${what} timed out after ${timeout} ms`)),
        timeout,
      );
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/**
 * Sleeps `ms` milliseconds; an aborted signal ends it early with {@link StompCancelledError}.
 *
 * @example
 * ```ts
 * import { sleep } from "./wait.ts";
 * await sleep(10);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 && !signal?.aborted) return Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  return deadline(
    new Promise<void>((resolve) => timer = setTimeout(resolve, ms)),
    { signal },
    "sleep",
    () => {
      clearTimeout(timer);
    },
  );
}

/**
 * A promise with its resolve and reject functions, for waits that other code settles.
 *
 * @example
 * ```ts
 * import { Deferred } from "./wait.ts";
 * const d = new Deferred<number>();
 * d.resolve(1);
 * console.log(await d.promise); // 1
 * ```
 */
export class Deferred<T> {
  /** Settled by {@link Deferred.resolve} or {@link Deferred.reject}. */
  readonly promise: Promise<T>;
  /** Resolves the promise. */
  resolve!: (value: T) => void;
  /** Rejects the promise. */
  reject!: (reason: unknown) => void;
  /** True once resolved or rejected. */
  settled = false;
  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = (v) => {
        this.settled = true;
        resolve(v);
      };
      this.reject = (e) => {
        this.settled = true;
        reject(e);
      };
    });
  }
}
