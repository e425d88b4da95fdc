/**
 * Waiting on an async client's status events in tests: read until one matches, every wait bounded, the
 * iterator left open so that the same test can wait for the next one.
 *
 * @module
 */

import { deadline, type StompStatusEvent } from "../../mod.ts";

/**
 * Reads `events` until one matches `until` and returns every event read, the match last; fails after
 * `timeout` ms (or when the events end) naming what it saw. The iterator stays open for more.
 *
 * @example
 * ```ts ignore
 * const events = client.status();
 * await statusUntil(events, (e) => e.type === "connected");
 * ```
 */
export async function statusUntil(
  events: AsyncIterator<StompStatusEvent>,
  until: (e: StompStatusEvent) => boolean,
  timeout = 5000,
): Promise<StompStatusEvent[]> {
  const seen: StompStatusEvent[] = [];
  const signal = AbortSignal.timeout(timeout);
  const saw = () => seen.map((e) => e.type).join(", ");
  for (;;) {
    const next = await deadline(events.next(), { signal }, `status event (saw ${saw()})`);
    if (next.done) throw new Error(`status ended; saw ${saw()}`);
    seen.push(next.value);
    if (until(next.value)) return seen;
  }
}
