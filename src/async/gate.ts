/**
 * {@link ConnectionGate}: the calls of the async client that wait out a reconnect. While the client
 * fails over, a call joins a FIFO queue instead of throwing; when the next connection is up (after
 * the subscription replay and the resends) the queue runs in call order, each call writing its frame
 * synchronously, so nothing can slip in between. Every wait is bounded: by the call's timeout or
 * signal, by the client's `reconnectWait`, and by the failover giving up ({@link ConnectionGate.close}).
 *
 * @module
 */

import { StompCancelledError, StompConnectionError } from "../errors.ts";
import type { StompWaitOptions } from "../connection/wait.ts";

/** The longest delay a timer can take; longer waits have no timer. */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * Whether a call can write now, must wait, or fails: what the gate asks the client's lifecycle.
 *
 * @example
 * ```ts
 * import type { StompGateState } from "./gate.ts";
 * const state: StompGateState = "wait";
 * ```
 */
export type StompGateState = "open" | "wait" | "fail";

/**
 * A call held by the gate: `run` writes it (synchronously up to the write), `fail` rejects it.
 *
 * @example
 * ```ts
 * import type { StompGatedCall } from "./gate.ts";
 * const call: StompGatedCall = { run: () => console.log("write"), fail: (e) => console.log(e.message) };
 * ```
 */
export interface StompGatedCall {
  run(): void;
  fail(error: Error): void;
}

interface Waiting {
  readonly call: StompGatedCall;
  readonly cleanup: () => void;
}

/**
 * The queue of calls waiting for a connection.
 *
 * @example
 * ```ts
 * import { ConnectionGate } from "./gate.ts";
 * let state: "open" | "wait" | "fail" = "wait";
 * const gate = new ConnectionGate(() => state, () => new Error("not connected"), Infinity);
 * gate.submit({ run: () => console.log("sent"), fail: (e) => console.log(e) }, {});
 * state = "open";
 * gate.open(); // "sent"
 * ```
 */
export class ConnectionGate {
  readonly #state: () => StompGateState;
  readonly #notConnected: () => Error;
  readonly #reconnectWait: number;
  #queue: Waiting[] = [];

  /**
   * `state` says whether calls run, wait or fail right now; `notConnected` is the error of a call
   * that fails; `reconnectWait` bounds each wait (milliseconds, Infinity for none).
   */
  constructor(state: () => StompGateState, notConnected: () => Error, reconnectWait: number) {
    this.#state = state;
    this.#notConnected = notConnected;
    this.#reconnectWait = reconnectWait;
  }

  /** How many calls wait. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Whether a call submitted now would run at once. */
  get immediate(): boolean {
    return this.#queue.length === 0 && this.#state() === "open";
  }

  /**
   * Runs `call` now when connected and nobody waits; queues it while reconnecting; fails it
   * otherwise. A queued call fails with {@link StompCancelledError} when `wait` (or `reconnectWait`)
   * runs out first, and is then never written.
   */
  submit(call: StompGatedCall, wait: StompWaitOptions): void {
    const state = this.#state();
    if (state === "open" && this.#queue.length === 0) return call.run();
    if (state === "fail") return call.fail(this.#notConnected());
    const { signal } = wait;
    const timeout = Math.min(wait.timeout ?? Infinity, this.#reconnectWait);
    if (signal?.aborted) {
      return call.fail(new StompCancelledError("waiting for a connection aborted", { cause: signal.reason }));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const entry: Waiting = { call, cleanup };
    const cancel = (error: Error) => {
      const at = this.#queue.indexOf(entry);
      if (at < 0) return;
      this.#queue.splice(at, 1);
      cleanup();
      call.fail(error);
    };
    const onAbort = () =>
      cancel(new StompCancelledError("waiting for a connection aborted", { cause: signal?.reason }));
    if (timeout <= MAX_TIMER_MS) {
      timer = setTimeout(
        () => cancel(new StompCancelledError(`waiting for a connection timed out after ${timeout} ms`)),
        timeout,
      );
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#queue.push(entry);
  }

  /**
   * The connection is up: runs the waiting calls in order. A call that the runs before it sent back
   * into waiting (the connection dropped again) stops the walk; the rest keep waiting.
   */
  open(): void {
    while (this.#queue.length > 0 && this.#state() === "open") {
      const { call, cleanup } = this.#queue.shift()!;
      cleanup();
      call.run();
    }
  }

  /** The client ended (disconnect, or the failover gave up): every waiting call fails with `error`. */
  close(error: Error = new StompConnectionError("client closed")): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const { call, cleanup } of queue) {
      cleanup();
      call.fail(error);
    }
  }
}
