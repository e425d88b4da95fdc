/**
 * The CLI's runtime under Node. A write to standard output counts as taken once Node flushed it
 * to the system (Node cannot see how much of a pipe its reader has read).
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import process from "node:process";
import type { CliOutput, CliRuntime, CliWriteResult } from "./runtime.ts";

function stdoutOf(): CliOutput {
  let closed = false;
  // An EPIPE is also emitted as an event; without a listener Node would crash on it.
  process.stdout.on("error", () => {
    closed = true;
  });
  return {
    confirmsReads: false,
    write(bytes: Uint8Array): Promise<CliWriteResult> {
      if (closed) return Promise.resolve("closed");
      return new Promise((resolve, reject) => {
        process.stdout.write(bytes, (error) => {
          if (!error) return resolve("taken");
          const code = (error as { code?: string }).code;
          if (code === "EPIPE" || code === "ERR_STREAM_DESTROYED" || code === "ECONNRESET") {
            closed = true;
            resolve("closed");
          } else {
            reject(error);
          }
        });
      });
    },
  };
}

/**
 * The Node runtime for the CLI.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * process.exitCode = await main(nodeRuntime());
 * ```
 */
export function nodeRuntime(): CliRuntime {
  return {
    args: process.argv.slice(2),
    env: (name) => process.env[name],
    readFile: async (path) => new Uint8Array(await readFile(path)),
    stdin: () => process.stdin,
    stdout: stdoutOf(),
    stderr: (text) => {
      process.stderr.write(text);
    },
    stderrIsTerminal: process.stderr.isTTY === true,
    onInterrupt(listener) {
      process.on("SIGINT", listener);
      return () => process.off("SIGINT", listener);
    },
  };
}
