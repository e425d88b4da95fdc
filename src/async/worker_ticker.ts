/**
 * A {@link StompTicker} whose timers run in a dedicated Worker. Browsers throttle the timers of a
 * background tab (down to one wake-up a minute after a while), which makes a client miss its
 * heart-beats and, worse, declare a healthy broker dead. Timers inside a dedicated Worker are not
 * throttled that way, and the message that reports a due timer wakes the page at once, so both
 * heart-beat directions (sending beats and the receive deadline) keep their schedule.
 *
 * The Worker is started from a Blob URL of a tiny inline script, so nothing extra must be served.
 * Where no Worker can be made (no `Worker`, a Content-Security-Policy without `worker-src blob:`,
 * a Worker that fails to load), the ticker falls back to the global timers by itself.
 *
 * @module
 */

import { type StompTicker, timerTicker } from "./heartbeat.ts";

export type { StompTicker } from "./heartbeat.ts";

// Runs inside the Worker: [id, ms] starts a timer that posts `id` back when due, [id, -1] cancels
// it. The first message (0) tells the page that the script loaded.
const WORKER_SCRIPT = `"use strict";
const timers = new Map();
onmessage = (event) => {
  const [id, ms] = event.data;
  clearTimeout(timers.get(id));
  timers.delete(id);
  if (ms >= 0) timers.set(id, setTimeout(() => { timers.delete(id); postMessage(id); }, ms));
};
postMessage(0);
`;

/**
 * A ticker driven by a Worker, as {@link workerTicker} makes it.
 *
 * @example
 * ```ts ignore
 * import { workerTicker } from "./worker_ticker.ts";
 * const ticker = workerTicker();
 * ticker.setTimeout(() => console.log(ticker.mode), 10); // "worker" where a Worker could be made
 * ```
 */
export interface StompWorkerTicker extends StompTicker {
  /**
   * `"worker"` while a Worker drives the timers; `"timers"` when none could be made, after it
   * failed (pending timers moved to the global timers), or after {@link StompWorkerTicker.close}.
   */
  readonly mode: "worker" | "timers";
  /** Ends the Worker; pending and later timers run on the global timers. */
  close(): void;
}

/**
 * What {@link workerTicker} may be given, mostly for tests.
 *
 * @example
 * ```ts
 * import type { StompWorkerTickerOptions } from "./worker_ticker.ts";
 * const options: StompWorkerTickerOptions = { createWorker: (url) => new Worker(url, { type: "module" }) };
 * ```
 */
export interface StompWorkerTickerOptions {
  /** Starts the Worker for a script URL (default: `new Worker(url, { type: "module" })`). */
  readonly createWorker?: (url: string) => StompTickerWorker;
}

/**
 * The part of a Worker the ticker uses, stated structurally so that the declarations need no DOM
 * library (a Node project type-checks them with `lib: ["esnext"]`). A real `Worker` fits it.
 *
 * @example
 * ```ts
 * import type { StompTickerWorker } from "./worker_ticker.ts";
 * const make = (url: string): StompTickerWorker => new Worker(url, { type: "module" });
 * ```
 */
export interface StompTickerWorker {
  /** Sends `[id, ms]` (start) or `[id, -1]` (cancel) to the Worker. */
  postMessage(message: unknown): void;
  /** Ends the Worker. */
  terminate(): void;
  /** `message` delivers fired timer ids; `error` and `messageerror` make the ticker fall back. */
  addEventListener(
    type: string,
    listener: (event: { data?: unknown; preventDefault?(): void }) => void,
  ): void;
}

interface Pending {
  readonly fn: () => void;
  readonly due: number;
  /** The global timer, once this timer runs on the global timers. */
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * A ticker whose timers run in a Worker made from a Blob URL; the Worker starts with the first
 * timer. Falls back to the global timers where that is impossible (see the module notes).
 *
 * @example
 * ```ts ignore
 * import { workerTicker } from "./worker_ticker.ts";
 * import { connect } from "../../browser.ts";
 * const client = await connect("ws://127.0.0.1:15674/ws", {
 *   login: "guest", passcode: "guest", heartBeats: [10_000, 10_000], ticker: workerTicker(),
 * });
 * ```
 */
export function workerTicker(options: StompWorkerTickerOptions = {}): StompWorkerTicker {
  const pending = new Map<number, Pending>();
  let worker: StompTickerWorker | undefined;
  let url: string | undefined;
  let failed = !canMakeWorker() && options.createWorker === undefined;
  let nextId = 1;

  const onTimers = (id: number, entry: Pending) => {
    entry.timer = setTimeout(() => fire(id), Math.max(0, entry.due - Date.now()));
  };
  const fire = (id: number) => {
    const entry = pending.get(id);
    if (!entry) return; // cancelled while the message was under way
    pending.delete(id);
    entry.fn();
  };
  const revoke = () => {
    if (url !== undefined) URL.revokeObjectURL(url);
    url = undefined;
  };
  // Hands every pending timer to the global timers, keeping its due time.
  const fallBack = () => {
    failed = true;
    worker?.terminate();
    worker = undefined;
    revoke();
    for (const [id, entry] of pending) if (entry.timer === undefined) onTimers(id, entry);
  };
  const start = (): StompTickerWorker | undefined => {
    if (worker || failed) return worker;
    try {
      url = URL.createObjectURL(new Blob([WORKER_SCRIPT], { type: "text/javascript" }));
      const w = (options.createWorker ?? ((u: string) => new Worker(u, { type: "module" })))(url);
      w.addEventListener("message", (event) => {
        const id = event.data as number;
        if (id === 0) revoke();
        else fire(id);
      });
      // A Worker that cannot load (blocked by a CSP, say) reports it here, after the fact.
      w.addEventListener("error", (event) => {
        event.preventDefault?.();
        fallBack();
      });
      w.addEventListener("messageerror", fallBack);
      worker = w;
    } catch {
      fallBack();
    }
    return worker;
  };

  return {
    get mode() {
      return failed ? "timers" : "worker";
    },
    setTimeout(fn: () => void, ms: number): unknown {
      const id = nextId++;
      const delay = Math.max(0, Number.isFinite(ms) ? ms : 0);
      const entry: Pending = { fn, due: Date.now() + delay };
      pending.set(id, entry);
      const w = start();
      if (w) w.postMessage([id, delay]);
      else onTimers(id, entry);
      return id;
    },
    clearTimeout(handle: unknown): void {
      const id = handle as number;
      const entry = pending.get(id);
      if (!entry) return;
      pending.delete(id);
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      else worker?.postMessage([id, -1]);
    },
    close(): void {
      fallBack();
    },
  };
}

function canMakeWorker(): boolean {
  return typeof Worker === "function" && typeof Blob === "function" &&
    typeof URL?.createObjectURL === "function";
}

let shared: StompTicker | undefined;

/**
 * The ticker a client uses when given none: in a browser page (where `Worker` and `document`
 * exist) one {@link workerTicker} shared by every client of the page, elsewhere the global timers.
 * Deno has a `Worker` too, but no background-tab throttling, and a live Worker there costs an
 * isolate and keeps the process from exiting: its timers are the better choice.
 *
 * @example
 * ```ts
 * import { defaultTicker } from "./worker_ticker.ts";
 * import { timerTicker } from "./heartbeat.ts";
 * console.log(defaultTicker() === timerTicker); // true in Deno and Node; a Worker ticker in a page
 * ```
 */
export function defaultTicker(): StompTicker {
  const page = typeof (globalThis as { document?: unknown }).document === "object";
  if (!page || !canMakeWorker()) return timerTicker;
  return shared ??= workerTicker();
}
