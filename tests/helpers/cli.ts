/**
 * Runs the `stompest` CLI (cli.ts) as a subprocess, as a user would, with a hard time limit, and
 * a seeded generator for its inputs.
 *
 * @module
 */

/** cli.ts, found from this file so that tests work from any directory. */
export const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** The permissions `deno task cli` gives. */
export const CLI_PERMISSIONS = ["--allow-net", "--allow-read", "--allow-env", "--allow-ffi"];

/** How long one CLI run may take before the test fails. */
export const CLI_TIMEOUT_MS = 60_000;

/** What a finished run left. */
export interface CliResult {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly stderr: string;
  /** stdout as text. */
  readonly text: string;
}

/** Options of {@link runCli}. */
export interface CliRunOptions {
  /** Standard input (closed when absent). */
  readonly stdin?: Uint8Array;
  /** Extra environment variables (STOMP_LOGIN/STOMP_PASSCODE default to guest). */
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

/**
 * The argument list of `deno run ... cli.ts ARGS`.
 *
 * @example
 * ```ts ignore
 * new Deno.Command(Deno.execPath(), { args: cliArgs(["info", "tcp://127.0.0.1:61613"]) });
 * ```
 */
export function cliArgs(args: readonly string[]): string[] {
  return ["run", "--quiet", ...CLI_PERMISSIONS, CLI, ...args];
}

/** The environment a run gets: guest credentials and no STOMP_URL unless given. */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { STOMP_LOGIN: "guest", STOMP_PASSCODE: "guest", NO_COLOR: "1", ...extra };
}

/**
 * Runs the CLI to completion; a run longer than `timeoutMs` is killed and fails the test.
 *
 * @example
 * ```ts ignore
 * const { code, text } = await runCli(["info", "tcp://127.0.0.1:61613"]);
 * ```
 */
export async function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? CLI_TIMEOUT_MS;
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    env: cliEnv(options.env),
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const { code, stdout, stderr, signal } = await child.output();
  if (signal === "SIGTERM" && code !== 0) {
    throw new Error(`stompest ${args.join(" ")}: killed after ${timeoutMs} ms`);
  }
  return { code, stdout, stderr: new TextDecoder().decode(stderr), text: new TextDecoder().decode(stdout) };
}

/**
 * A seeded pseudo-random generator (a linear congruential one, as the parser tests use): the
 * same inputs every run, so a failure reproduces.
 *
 * @example
 * ```ts
 * import { seeded } from "./cli.ts";
 * const next = seeded(1);
 * console.log(next(10) < 10); // true
 * ```
 */
export function seeded(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return Math.floor((state / 2147483648) * below);
  };
}
