/**
 * What every chaos scenario runs under: any unhandled promise rejection fails it (a plain Deno
 * program exits on one, so a library that leaves one behind during a fault is broken even when the
 * scenario's own assertions pass), and no wait is unbounded (the whole scenario has a budget, and
 * each wait inside it a timeout, so a hang fails with what was being waited for instead of
 * stalling CI).
 *
 * @module
 */

import { deadline, StompCancelledError } from "../../mod.ts";

/**
 * What a guarded scenario gets: bounded waits, and a signal that aborts when its budget runs out
 * (loops that produce or consume until told to stop should watch it).
 *
 * @example
 * ```ts ignore
 * import { guarded } from "./guard.ts";
 * Deno.test("a scenario", guarded(60_000, async (guard) => {
 *   await guard.within(client.connect(), 5000, "CONNECTED");
 * }));
 * ```
 */
export interface Guard {
  /** Aborted when the scenario's budget runs out. */
  readonly signal: AbortSignal;
  /**
   * `promise`'s outcome, or a {@link StompCancelledError} naming `what` after `timeoutMs` (or at
   * once when the budget runs out).
   */
  within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T>;
  /** The unhandled rejections seen so far in this scenario (each also fails it at the end). */
  readonly unhandled: readonly unknown[];
}

/** Why a guarded scenario failed although its own code did not throw. */
export class ChaosGuardError extends Error {}

/**
 * Turns `fn` into a test function (or any async function) that fails when `fn` does not finish
 * within `budgetMs`, or when a promise rejection goes unhandled while it runs. The rejection is
 * reported with its reason (and stack); Deno's own handler, which would end the whole test run,
 * is kept out of it.
 *
 * @example
 * ```ts ignore
 * import { guarded } from "./guard.ts";
 * import { brokerTest, RABBITMQ } from "../helpers/brokers.ts";
 * brokerTest("rabbitmq: a fault", RABBITMQ.tcp, guarded(60_000, async (guard, endpoint) => {
 *   // ...
 * }));
 * ```
 */
export function guarded<A extends unknown[]>(
  budgetMs: number,
  fn: (guard: Guard, ...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const unhandled: unknown[] = [];
    const onUnhandled = (event: PromiseRejectionEvent) => {
      event.preventDefault();
      unhandled.push(event.reason);
    };
    const budget = new AbortController();
    const timer = setTimeout(
      () => budget.abort(new ChaosGuardError(`hang: the scenario did not finish within ${budgetMs} ms`)),
      budgetMs,
    );
    const guard: Guard = {
      signal: budget.signal,
      within: (promise, timeoutMs, what) =>
        deadline(promise, { timeout: timeoutMs, signal: budget.signal }, what),
      unhandled,
    };
    globalThis.addEventListener("unhandledrejection", onUnhandled);
    try {
      await deadline(fn(guard, ...args), { signal: budget.signal }, "the scenario").catch((error) => {
        throw error instanceof StompCancelledError && budget.signal.aborted ? budget.signal.reason : error;
      });
      // A rejection left behind by the last steps is reported after the microtasks drain, on a later
      // turn of the event loop: let one pass before looking.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (unhandled.length > 0) {
        throw new ChaosGuardError(
          `${unhandled.length} unhandled promise rejection(s): ${unhandled.map(describe).join("; ")}`,
          { cause: unhandled[0] },
        );
      }
    } finally {
      clearTimeout(timer);
      budget.abort(new ChaosGuardError("the scenario ended"));
      globalThis.removeEventListener("unhandledrejection", onUnhandled);
    }
  };
}

function describe(reason: unknown): string {
  return reason instanceof Error ? `${reason.stack ?? `${reason.name}: ${reason.message}`}` : String(reason);
}
