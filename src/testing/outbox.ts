/**
 * The output side of one test broker connection: bytes written in order, the delay fault, and
 * the timers (heart-beats, silence checks) that must all stop when the connection does.
 *
 * @module
 */

import type { StompConnection } from "../connection/transport.ts";

type Timer = ReturnType<typeof setTimeout>;

/** Writes in order; every wait it starts ends at {@link Outbox.stop}. */
export class Outbox {
  /** When bytes were last handed to the connection (ms since the epoch). */
  lastWrite: number = Date.now();
  readonly #conn: StompConnection;
  readonly #delay: () => number | undefined;
  readonly #onFailure: (error: unknown) => void;
  readonly #timers = new Set<Timer>();
  readonly #sleepers = new Set<() => void>();
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;

  /** `delay` is read before each delayed write; `onFailure` gets a failed write's error. */
  constructor(conn: StompConnection, delay: () => number | undefined, onFailure: (error: unknown) => void) {
    this.#conn = conn;
    this.#delay = delay;
    this.#onFailure = onFailure;
  }

  /** Queues bytes behind everything before; `delayed` ones first wait for the delay fault. */
  push(bytes: Uint8Array, delayed: boolean): void {
    this.#chain = this.#chain.then(async () => {
      const delay = delayed ? this.#delay() : 0;
      if (delay) await this.#sleep(delay);
      if (this.#stopped) return;
      this.lastWrite = Date.now();
      await this.#conn.write(bytes);
    }).catch((e) => this.#onFailure(e));
  }

  /** Runs `step` once everything queued so far went out. */
  after(step: () => void): void {
    this.#chain = this.#chain.then(step);
  }

  /** Settles once everything queued went out or was dropped. */
  get drained(): Promise<void> {
    return this.#chain;
  }

  /** Runs `action` whenever `since()` is `period` ms old, rescheduling from the latest activity. */
  watch(period: number, since: () => number, action: () => void): void {
    const schedule = (ms: number) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (this.#stopped) return;
        const idle = Date.now() - since();
        if (idle < period) return schedule(period - idle);
        action();
        if (!this.#stopped) schedule(period);
      }, ms);
      this.#timers.add(timer);
    };
    if (!this.#stopped) schedule(period);
  }

  /** Drops what is still queued, ends pending delays and clears every timer. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const wake of [...this.#sleepers]) wake();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#timers.add(timer);
      this.#sleepers.add(done);
    });
  }
}
