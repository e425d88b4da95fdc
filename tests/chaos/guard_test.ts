// The chaos guard itself: it must fail a scenario that leaves a rejection unhandled or does not finish,
// and pass one that does neither; otherwise every chaos test's "no unhandled rejection, no hang" means nothing.
import assert from "node:assert/strict";
import { StompCancelledError } from "../../mod.ts";
import { ChaosGuardError, guarded } from "./guard.ts";

Deno.test("chaos guard: a scenario that finishes cleanly passes", async () => {
  let ran = false;
  await guarded(1000, async (guard) => {
    assert.equal(await guard.within(Promise.resolve(7), 100, "seven"), 7);
    ran = true;
  })();
  assert.ok(ran);
});

Deno.test("chaos guard: an unhandled rejection fails the scenario, with its reason", async () => {
  await assert.rejects(
    guarded(1000, async () => {
      Promise.reject(new Error("nobody awaits me"));
      await Promise.resolve();
    })(),
    (error) => error instanceof ChaosGuardError && /1 unhandled.*nobody awaits me/s.test(error.message),
  );
});

Deno.test("chaos guard: a scenario that never finishes fails at its budget", async () => {
  const started = performance.now();
  await assert.rejects(
    guarded(200, () => new Promise<void>(() => {}))(),
    (error) => error instanceof ChaosGuardError && /hang: .*200 ms/.test(error.message),
  );
  assert.ok(performance.now() - started < 5000);
});

Deno.test("chaos guard: a bounded wait fails with what it waited for; the budget aborts it early", async () => {
  await guarded(2000, async (guard) => {
    await assert.rejects(
      guard.within(new Promise(() => {}), 50, "a frame that never comes"),
      (error) =>
        error instanceof StompCancelledError && /a frame that never comes timed out/.test(error.message),
    );
  })();
  await assert.rejects(
    guarded(100, (guard) => guard.within(new Promise<void>(() => {}), 60_000, "a long wait"))(),
    (error) => error instanceof ChaosGuardError && /hang/.test(error.message),
  );
});
