// The Worker ticker under Deno's Worker (the same Blob-URL module Worker a page makes); the real
// page runs it in tests/browser/dashboard_chromium.mjs.
import assert from "node:assert/strict";
import { timerTicker } from "../../src/async/heartbeat.ts";
import { defaultTicker, workerTicker } from "../../src/async/worker_ticker.ts";

/** Resolves when the ticker ran the timer; fails (rather than hangs) when it never does. */
async function fired(
  ticker: { setTimeout(fn: () => void, ms: number): unknown },
  ms: number,
  log: string[],
  name: string,
): Promise<void> {
  let guard: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve) =>
        ticker.setTimeout(() => {
          log.push(name);
          resolve();
        }, ms)
      ),
      new Promise<never>((_, reject) => {
        guard = setTimeout(() => reject(new Error(`timer "${name}" never ran`)), 5000);
      }),
    ]);
  } finally {
    clearTimeout(guard);
  }
}

Deno.test("workerTicker: timers run in the Worker, in due order, and a cleared one never runs", async () => {
  const fromWorker: unknown[] = [];
  const ticker = workerTicker({
    createWorker: (url) => {
      const worker = new Worker(url, { type: "module" });
      worker.addEventListener("message", (event) => fromWorker.push(event.data));
      return worker;
    },
  });
  try {
    const log: string[] = [];
    const cancelled = ticker.setTimeout(() => log.push("cancelled"), 5);
    ticker.clearTimeout(cancelled);
    const late = fired(ticker, 60, log, "late");
    const early = fired(ticker, 10, log, "early");
    await Promise.all([early, late]);
    assert.equal(ticker.mode, "worker");
    // "late" last: had "cancelled" run, it would have been logged before "late" (due at 5 ms).
    assert.deepEqual(log, ["early", "late"]);
    // "ready" (0), then the two due timers: the Worker, not the page's timers, woke the page.
    assert.deepEqual(fromWorker.length, 3);
    assert.equal(fromWorker[0], 0);
  } finally {
    ticker.close();
  }
});

Deno.test("workerTicker: no Worker can be made -> the global timers run the timers", async () => {
  const ticker = workerTicker({
    createWorker: () => {
      throw new Error("blocked by Content-Security-Policy");
    },
  });
  const log: string[] = [];
  await fired(ticker, 1, log, "ran");
  assert.equal(ticker.mode, "timers");
  assert.deepEqual(log, ["ran"]);
  ticker.close();
});

Deno.test("workerTicker: a Worker that fails to load hands its pending timers to the global timers", async () => {
  // Like a Worker whose script a CSP blocks: it takes messages, runs nothing, and reports an error later.
  class BrokenWorker extends EventTarget {
    postMessage() {
      queueMicrotask(() => this.dispatchEvent(new Event("error", { cancelable: true })));
    }
    terminate() {}
  }
  const ticker = workerTicker({ createWorker: () => new BrokenWorker() as unknown as Worker });
  const log: string[] = [];
  const pending = fired(ticker, 20, log, "moved");
  assert.equal(ticker.mode, "worker");
  await pending;
  assert.equal(ticker.mode, "timers");
  assert.deepEqual(log, ["moved"]);
  ticker.close();
});

Deno.test("workerTicker: close() moves pending timers to the global timers, keeping them", async () => {
  const ticker = workerTicker();
  const log: string[] = [];
  const pending = fired(ticker, 20, log, "kept");
  ticker.close();
  assert.equal(ticker.mode, "timers");
  await pending;
  assert.deepEqual(log, ["kept"]);
});

Deno.test("defaultTicker: the global timers outside a browser page", () => {
  assert.equal(defaultTicker(), timerTicker);
});
