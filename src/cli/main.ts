/**
 * The `stompest` command line: picks the command, prints help, runs it, and returns the exit
 * status. The runtime entries (`cli.ts` for Deno, `src/cli/node.ts` for Node) call {@link main}
 * and exit with what it returns. The library never imports this directory.
 *
 * @module
 */

import { bench } from "./bench.ts";
import type { Command } from "./command.ts";
import { CliContext } from "./context.ts";
import { GLOBAL_HELP, parseCommandLine } from "./args.ts";
import { EXIT, exitFor } from "./exit.ts";
import { info } from "./info.ts";
import { ping } from "./ping.ts";
import type { CliRuntime } from "./runtime.ts";
import { send } from "./send.ts";
import { subscribe } from "./subscribe.ts";

/** Every command, in the order the overview lists them. */
export const COMMANDS: readonly Command[] = [send, subscribe, info, ping, bench];

/** `stompest --help`. */
export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `stompest: a STOMP 1.0/1.1/1.2 command-line client

Usage: stompest COMMAND [URI] [arguments] [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Run stompest COMMAND --help for its options and examples.

Examples:
  echo hello | stompest send tcp://127.0.0.1:61613 /queue/a
  stompest subscribe tcp://127.0.0.1:61613 /queue/a --count 1
  STOMP_URL=tcp://127.0.0.1:61613 stompest info

${GLOBAL_HELP}
`;
}

/**
 * Runs the command line in `rt` and resolves with the exit status.
 *
 * @example
 * ```ts ignore
 * import { denoRuntime } from "./runtime_deno.ts";
 * Deno.exit(await main(denoRuntime()));
 * ```
 */
export async function main(rt: CliRuntime): Promise<number> {
  const [name, ...args] = rt.args;
  const say = (text: string) => rt.stdout.write(new TextEncoder().encode(text));
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    await say(overview());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    rt.stderr(`stompest: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(", ")})\n`);
    return EXIT.usage;
  }
  if (args.includes("--help") || args.includes("-h")) {
    await say(`${command.help}\n\n${GLOBAL_HELP}\n`);
    return EXIT.ok;
  }
  let verbose = false;
  try {
    verbose = parseCommandLine(
      args.filter((a) => a === "-v" || a === "--verbose"),
      {},
    ).values.verbose === true;
  } catch {
    // Reported when the command parses its arguments.
  }
  const ctx = new CliContext(rt, verbose);
  try {
    return await command.run(args, ctx);
  } catch (error) {
    // Errors before connecting (arguments, files); the commands map their own after that.
    const { status, message } = exitFor(error, false);
    rt.stderr(`stompest: ${command.name}: ${message}\n`);
    return ctx.interrupt.aborted ? EXIT.interrupted : status;
  } finally {
    ctx.dispose();
  }
}
