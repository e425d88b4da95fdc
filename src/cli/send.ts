/**
 * `stompest send [URI] DEST [BODY]`: one message (or `--count` copies) from the argument, a file
 * or standard input, or one message per input line with `--lines`, streamed: a line is read only
 * when the previous one was handed to the connection (or, with `--receipt`, once fewer than
 * {@link RECEIPT_WINDOW} receipts are outstanding), so a million lines never sit in memory.
 *
 * @module
 */

import type { AsyncStomp } from "../core.ts";
import { clientSettings, parseCommandLine, positiveInt, readOrUsage, takeUri } from "./args.ts";
import { type Command, untilAborted } from "./command.ts";
import { type CliContext, withClient } from "./context.ts";
import { EXIT, UsageError } from "./exit.ts";
import { lines, readAll } from "./lines.ts";

/** Receipts awaited at once with `--receipt`: enough to keep the connection busy, bounded. */
export const RECEIPT_WINDOW = 64;

const OPTIONS = {
  file: { type: "string" },
  lines: { type: "boolean" },
  header: { type: "string", short: "H", multiple: true },
  persistent: { type: "boolean" },
  receipt: { type: "string" },
  count: { type: "string" },
} as const;

/**
 * `name:value` header arguments as a record (the first `:` splits; a later repeat of a name wins).
 *
 * @example
 * ```ts
 * import { headerArgs } from "./send.ts";
 * console.log(headerArgs(["type:order", "x-ts:12:30"])); // { type: "order", "x-ts": "12:30" }
 * ```
 */
export function headerArgs(args: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const arg of args) {
    const colon = arg.indexOf(":");
    if (colon <= 0) throw new UsageError(`-H wants name:value, got "${arg}"`);
    headers[arg.slice(0, colon)] = arg.slice(colon + 1);
  }
  return headers;
}

/** Sends with receipts `RECEIPT_WINDOW` deep, or without; `finish()` waits for every receipt. */
class Sender {
  readonly #client: AsyncStomp;
  readonly #destination: string;
  readonly #headers: Record<string, string>;
  readonly #pending: Promise<void>[] = [];
  /** Messages handed to the connection. */
  written = 0;

  constructor(client: AsyncStomp, destination: string, headers: Record<string, string>) {
    this.#client = client;
    this.#destination = destination;
    this.#headers = headers;
  }

  async send(body: Uint8Array, receipt: boolean): Promise<void> {
    if (!receipt) {
      await this.#client.send(this.#destination, body, this.#headers);
      this.written++;
      return;
    }
    const confirmed = this.#client.send(this.#destination, body, this.#headers, { receipt: true });
    confirmed.catch(() => {}); // awaited below, in order
    this.#pending.push(confirmed);
    this.written++;
    if (this.#pending.length >= RECEIPT_WINDOW) await this.#pending.shift();
  }

  async finish(): Promise<void> {
    while (this.#pending.length > 0) await this.#pending.shift();
  }
}

async function run(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  const uri = takeUri(positionals, ctx.rt.env);
  const [destination, bodyArg, ...extra] = positionals;
  if (destination === undefined) throw new UsageError("send: no destination (e.g. /queue/orders)");
  if (extra.length > 0) throw new UsageError(`send: unexpected argument "${extra[0]}"`);
  const file = values.file as string | undefined;
  if (bodyArg !== undefined && file !== undefined) {
    throw new UsageError("send: give BODY or --file, not both");
  }
  const receipt = values.receipt as string | undefined;
  if (receipt !== undefined && receipt !== "each" && receipt !== "last") {
    throw new UsageError(`--receipt takes no value or =last, got "${receipt}"`);
  }
  const byLine = values.lines === true;
  if (byLine && bodyArg !== undefined) throw new UsageError("send: --lines reads standard input or --file");
  if (byLine && values.count !== undefined) throw new UsageError("send: --count and --lines do not mix");
  const count = positiveInt(values, "count", 1);
  const headers = headerArgs((values.header as string[] | undefined) ?? []);
  if (values.persistent) headers.persistent = "true";
  const settings = await clientSettings(uri, values, ctx.rt, { reconnect: false });
  const input = () => file !== undefined ? readOrUsage(ctx.rt, file, "--file") : readAll(ctx.rt.stdin());
  // The single body is read before connecting: a missing file is a usage error, not a half-done send.
  const body = byLine ? undefined : bodyArg !== undefined ? new TextEncoder().encode(bodyArg) : await input();

  let sender: Sender | undefined;
  const status = await withClient(ctx, settings, async (client) => {
    sender = new Sender(client, destination, headers);
    const each = receipt === "each";
    if (body) {
      for (let i = 0; i < count && !ctx.interrupt.aborted; i++) {
        await sender.send(body, each || (receipt === "last" && i === count - 1));
      }
    } else {
      const source = file !== undefined ? [await readOrUsage(ctx.rt, file, "--file")] : ctx.rt.stdin();
      // With --receipt=last one line is held back, to ask for the receipt on the last one; otherwise
      // each line goes out as it arrives (`tail -f log | stompest send --lines` must not lag a line).
      // A line read in full before SIGINT is still sent.
      const holdBack = receipt === "last";
      let held: Uint8Array | undefined;
      for await (const line of untilAborted(lines(source), ctx.interrupt)) {
        if (held) await sender.send(held, false);
        if (holdBack) held = line;
        else await sender.send(line, each);
      }
      if (held) await sender.send(held, true);
    }
    await sender.finish();
    ctx.log(`${sender.written} message(s) sent to ${destination}`);
    return ctx.interrupt.aborted ? EXIT.interrupted : EXIT.ok;
  });
  if (status !== EXIT.ok && sender && sender.written > 0) {
    ctx.warn(`${sender.written} message(s) were handed to the connection before it ended`);
  }
  return status;
}

/** The `send` command. */
export const send: Command = {
  name: "send",
  summary: "send a message, --count copies, or one per input line",
  help: `Usage: stompest send [URI] DEST [BODY] [options]

Sends BODY, the bytes of --file, or standard input to DEST. Prints nothing on success unless -v;
the exit status tells (the DISCONNECT receipt confirms that the broker took every message).

Options:
  --file FILE           the body (or, with --lines, the lines) from FILE
  --lines               one message per input line (without its \\n), streamed with backpressure
  -H, --header N:V      a header (repeatable)
  --persistent          persistent:true (ActiveMQ keeps the message across a restart)
  --receipt[=last]      wait for a RECEIPT for each message (or for the last only)
  --count N             send the body N times

Examples:
  stompest send tcp://127.0.0.1:61613 /queue/orders '{"id":1}' -H content-type:application/json
  seq 1000 | stompest send tcp://127.0.0.1:61613 /queue/numbers --lines --receipt=last
  STOMP_URL=ssl://broker:61614 stompest send /queue/blobs --file image.png --ca ca.pem`,
  run,
};
