// The shared waits: deadline() and sleep() end in StompCancelledError, never hang, never fire early.
import assert from "node:assert/strict";
import { deadline, Deferred, sleep, StompCancelledError } from "../mod.ts";

Deno.test("deadline: resolves with the promise's value, rejects with its error", async () => {
  assert.equal(await deadline(Promise.resolve(7), { timeout: 1000 }, "value"), 7);
  await assert.rejects(deadline(Promise.reject(new Error("boom")), { timeout: 1000 }, "error"), /boom/);
});

Deno.test("deadline: a timeout rejects with StompCancelledError naming the wait and calls onCancel", async () => {
  let cancelled = false;
  const never = new Deferred<void>();
  await assert.rejects(
    deadline(never.promise, { timeout: 10 }, "the answer", () => cancelled = true),
    (e: Error) => e instanceof StompCancelledError && e.message === "the answer timed out after 10 ms",
  );
  assert.ok(cancelled);
});

Deno.test("deadline: an abort rejects with the signal's reason as cause, also when already aborted", async () => {
  const controller = new AbortController();
  const waiting = deadline(new Deferred<void>().promise, { signal: controller.signal }, "waiting");
  const reason = new Error("user gave up");
  controller.abort(reason);
  await assert.rejects(waiting, (e: Error) => e instanceof StompCancelledError && e.cause === reason);
  await assert.rejects(
    deadline(Promise.resolve(), { signal: controller.signal }, "late"),
    StompCancelledError,
  );
});

Deno.test("deadline: timeouts a timer cannot hold (Infinity, past 2^31-1 ms) mean no timeout", async () => {
  for (const timeout of [Infinity, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
    assert.equal(await deadline(sleep(20).then(() => timeout), { timeout }, "long"), timeout);
  }
});

Deno.test("sleep: waits, and an abort ends it early", async () => {
  const t0 = performance.now();
  await sleep(20);
  assert.ok(performance.now() - t0 >= 15);
  await assert.rejects(sleep(10_000, AbortSignal.abort()), StompCancelledError);
});
