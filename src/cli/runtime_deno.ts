/**
 * The CLI's runtime under Deno.
 *
 * @module
 */

import type { CliOutput, CliRuntime, CliWriteResult } from "./runtime.ts";
import { PipeWatcher } from "./pipe_deno.ts";

const encoder = new TextEncoder();

function isClosedPipe(error: unknown): boolean {
  return error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset;
}

function stdoutOf(): CliOutput {
  let watcher: PipeWatcher | undefined | null = null;
  const pipe = () => watcher === null ? (watcher = PipeWatcher.open(1)) : watcher;
  return {
    get confirmsReads() {
      return pipe() !== undefined;
    },
    async write(bytes: Uint8Array, confirm = false): Promise<CliWriteResult> {
      try {
        for (let at = 0; at < bytes.length;) at += await Deno.stdout.write(bytes.subarray(at));
      } catch (error) {
        if (isClosedPipe(error)) return "closed";
        throw error;
      }
      if (!confirm) return "taken";
      const watching = pipe();
      if (!watching) return "taken";
      return await watching.drained() ? "taken" : "closed";
    },
  };
}

/**
 * The Deno runtime for the CLI.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(denoRuntime()));
 * ```
 */
export function denoRuntime(): CliRuntime {
  return {
    args: Deno.args,
    env: (name) => Deno.env.get(name),
    readFile: (path) => Deno.readFile(path),
    stdin: () => Deno.stdin.readable,
    stdout: stdoutOf(),
    stderr: (text) => {
      try {
        Deno.stderr.writeSync(encoder.encode(text));
      } catch {
        // Nowhere left to report to.
      }
    },
    stderrIsTerminal: Deno.stderr.isTerminal(),
    onInterrupt(listener) {
      Deno.addSignalListener("SIGINT", listener);
      return () => Deno.removeSignalListener("SIGINT", listener);
    },
  };
}
