/**
 * What the CLI needs from its runtime, so that one set of commands runs under Deno (`cli.ts`) and
 * Node (`src/cli/node.ts`, the npm package's `bin`): arguments, environment, files, the standard
 * streams and SIGINT. Each entry builds one of these; the commands touch nothing else.
 *
 * @module
 */

import type { StompConnector } from "../core.ts";

/**
 * How a line written to standard output ended up.
 * - `"taken"`: the reader took it (or, where the CLI cannot see the reader, the system accepted it);
 * - `"closed"`: standard output is closed (the reader exited): nothing more can be printed.
 */
export type CliWriteResult = "taken" | "closed";

/**
 * The runtime as the commands see it.
 *
 * @example
 * ```ts ignore
 * async function hello(rt: CliRuntime): Promise<number> {
 *   return await rt.stdout.write(new TextEncoder().encode("hello\n")) === "taken" ? 0 : 1;
 * }
 * ```
 */
export interface CliRuntime {
  /** The command-line arguments (without the program). */
  readonly args: readonly string[];
  /** An environment variable, or undefined. */
  env(name: string): string | undefined;
  /** A file's bytes. */
  readFile(path: string): Promise<Uint8Array>;
  /** Standard input as chunks (pulled: a slow consumer slows the reads). */
  stdin(): AsyncIterable<Uint8Array>;
  /** Standard output. */
  readonly stdout: CliOutput;
  /** Writes text to standard error (diagnostics; never fails). */
  stderr(text: string): void;
  /** Whether standard error is a terminal (live progress lines go there only then). */
  readonly stderrIsTerminal: boolean;
  /** Calls `listener` on each SIGINT until the returned function is called. */
  onInterrupt(listener: () => void): () => void;
  /**
   * The connector `info` opens `ssl://` brokers with, so that it can print the TLS of its own
   * connection: the entry's `node:tls` one (Deno's own exposes no certificate). Absent: the
   * runtime's default, and `info` says the details are not reported.
   */
  readonly sslConnector?: StompConnector;
}

/** Standard output. */
export interface CliOutput {
  /**
   * Writes all of `bytes`. Resolves `"closed"` instead of throwing when the reader went away.
   * With `confirm`, resolves only once the reader took the bytes out of the pipe (where the runtime
   * can tell; elsewhere once the system accepted them): what a client ack may wait for.
   */
  write(bytes: Uint8Array, confirm?: boolean): Promise<CliWriteResult>;
  /** Whether writes can be confirmed as read by the reader (a pipe under Deno on Linux or macOS). */
  readonly confirmsReads: boolean;
}
