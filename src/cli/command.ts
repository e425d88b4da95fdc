/**
 * The shape of a CLI command.
 *
 * @module
 */

import type { CliContext } from "./context.ts";

/**
 * One `stompest` command.
 *
 * @example
 * ```ts ignore
 * const hello: Command = { name: "hello", summary: "say hello", help: "Usage: stompest hello", run: async () => 0 };
 * ```
 */
export interface Command {
  /** What follows `stompest` on the command line. */
  readonly name: string;
  /** One line for the overview. */
  readonly summary: string;
  /** `stompest COMMAND --help`: usage, options and examples (the global options follow it). */
  readonly help: string;
  /** Runs with the arguments after the command name; resolves with the exit status. */
  run(args: readonly string[], ctx: CliContext): Promise<number>;
}

/**
 * `iterable` until `signal` aborts: a pending read (standard input waiting for a line) does not
 * hold the command past SIGINT.
 *
 * @example
 * ```ts ignore
 * for await (const line of untilAborted(lines(rt.stdin()), ctx.interrupt)) console.log(line.length);
 * ```
 */
export async function* untilAborted<T>(iterable: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  let onAbort = () => {};
  const aborted = new Promise<IteratorResult<T>>((resolve) => {
    onAbort = () => resolve({ done: true, value: undefined });
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
