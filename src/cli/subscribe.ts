/**
 * `stompest subscribe [URI] DEST`: prints each message, and with client acks acks it only once
 * printed, one at a time. "Printed" means the reader took the line out of the pipe where the
 * runtime can tell (Deno on Linux; see pipe_deno.ts), else that the system accepted the write. So
 * `| head -n 3` acks the three messages `head` printed; SIGINT, `--count`, the idle `--timeout` or
 * a closed standard output end it with UNSUBSCRIBE and DISCONNECT, and the broker redelivers every
 * message that was not printed.
 *
 * @module
 */

import type { StompAckMode, StompAsyncSubscription, StompMessage } from "../core.ts";
import { clientSettings, parseCommandLine, positiveInt, takeUri } from "./args.ts";
import type { Command } from "./command.ts";
import { type CliContext, withClient } from "./context.ts";
import { CliTimeout, EXIT, UsageError } from "./exit.ts";
import { formatMessage, type MessageFormat } from "./format.ts";
import { headerArgs } from "./send.ts";

const OPTIONS = {
  json: { type: "boolean" },
  headers: { type: "boolean" },
  ack: { type: "string" },
  count: { type: "string" },
  selector: { type: "string" },
  prefetch: { type: "string" },
  header: { type: "string", short: "H", multiple: true },
} as const;

const ACK_MODES: readonly StompAckMode[] = ["auto", "client", "client-individual"];

/**
 * ACKs in flight, at most {@link ACK_WINDOW}: the next line is printed while the previous ACK is
 * being written (the writer keeps their order, and the DISCONNECT receipt at the end confirms
 * them all). An ACK that fails went to a connection that is gone: the broker redelivers that
 * message, so it is logged, not fatal.
 */
class AckWindow {
  readonly #pending = new Set<Promise<void>>();
  readonly #ctx: CliContext;

  constructor(ctx: CliContext) {
    this.#ctx = ctx;
  }

  async add(ack: Promise<void>): Promise<void> {
    const settled = ack.catch((error) => this.#ctx.log(`an ACK failed (the broker redelivers): ${error}`))
      .finally(() => this.#pending.delete(settled));
    this.#pending.add(settled);
    if (this.#pending.size >= ACK_WINDOW) await Promise.race(this.#pending);
  }

  async drain(): Promise<void> {
    await Promise.all(this.#pending);
  }
}

/** ACKs written but not yet handed to the connection, at most. */
const ACK_WINDOW = 64;

type Next = { kind: "message"; message: StompMessage } | { kind: "end" } | { kind: "idle" } | {
  kind: "interrupted";
};

/** The next event: a message, the end of the subscription, `idle` ms without one, or SIGINT. */
function next(
  iterator: AsyncIterator<StompMessage>,
  idle: number | undefined,
  interrupted: Promise<Next>,
): Promise<Next> {
  const message = iterator.next().then((r): Next =>
    r.done ? { kind: "end" } : { kind: "message", message: r.value }
  );
  if (idle === undefined) return Promise.race([message, interrupted]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Next>((resolve) => timer = setTimeout(() => resolve({ kind: "idle" }), idle));
  return Promise.race([message, interrupted, timeout]).finally(() => clearTimeout(timer));
}

async function consume(
  sub: StompAsyncSubscription,
  ctx: CliContext,
  format: MessageFormat,
  count: number | undefined,
  idle: number | undefined,
): Promise<number> {
  const interrupted = new Promise<Next>((resolve) => {
    if (ctx.interrupt.aborted) resolve({ kind: "interrupted" });
    ctx.interrupt.addEventListener("abort", () => resolve({ kind: "interrupted" }), { once: true });
  });
  const confirm = sub.ackMode !== "auto";
  const acks = new AckWindow(ctx);
  const iterator = sub[Symbol.asyncIterator]();
  let printed = 0;
  try {
    while (count === undefined || printed < count) {
      // A SIGINT that arrived while a line was being printed and acked is seen here.
      if (ctx.interrupt.aborted) return EXIT.interrupted;
      const event = await next(iterator, idle, interrupted);
      if (event.kind === "interrupted") return EXIT.interrupted;
      if (event.kind === "idle") {
        if (count === undefined) return EXIT.ok;
        throw new CliTimeout(`${printed} of ${count} messages, then none for ${idle} ms`);
      }
      if (event.kind === "end") {
        await sub.closed; // throws why it ended (the connection lost for good, an ERROR frame)
        return EXIT.ok;
      }
      const result = await ctx.rt.stdout.write(formatMessage(event.message.frame, format), confirm);
      if (result === "closed") {
        ctx.log("standard output closed: the message not printed stays on the broker");
        return EXIT.ok;
      }
      if (confirm) await acks.add(event.message.ack());
      printed++;
    }
    return EXIT.ok;
  } finally {
    await acks.drain();
    ctx.log(`${printed} message(s) printed${confirm ? " and acked" : ""}`);
    await sub.unsubscribe();
  }
}

async function run(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  const uri = takeUri(positionals, ctx.rt.env);
  const [destination, ...extra] = positionals;
  if (destination === undefined) throw new UsageError("subscribe: no destination (e.g. /queue/orders)");
  if (extra.length > 0) throw new UsageError(`subscribe: unexpected argument "${extra[0]}"`);
  if (values.json && values.headers) throw new UsageError("subscribe: give --json or --headers, not both");
  const format: MessageFormat = values.json ? "json" : values.headers ? "headers" : "body";
  const ackArg = values.ack as string | undefined;
  if (ackArg !== undefined && !ACK_MODES.includes(ackArg as StompAckMode)) {
    throw new UsageError(`--ack must be auto, client or client-individual, got "${ackArg}"`);
  }
  const count = positiveInt(values, "count");
  const idle = positiveInt(values, "timeout");
  const window = positiveInt(values, "prefetch");
  const headers: Record<string, string> = headerArgs((values.header as string[] | undefined) ?? []);
  if (values.selector !== undefined) headers.selector = values.selector as string;
  const settings = await clientSettings(uri, values, ctx.rt, { reconnect: true });
  return await withClient(ctx, settings, async (client) => {
    // STOMP 1.0 has no client-individual; its `client` acks are cumulative, which one-at-a-time
    // printing and acking keeps exact.
    const ack = (ackArg as StompAckMode | undefined) ??
      (client.session.version === "1.0" ? "client" : "client-individual");
    const sub = await client.subscribe(destination, headers, {
      ack,
      receipt: true,
      ...(window !== undefined ? { window } : {}),
    });
    ctx.log(`subscribed to ${destination} (ack ${ack})`);
    return await consume(sub, ctx, format, count, idle);
  });
}

/** The `subscribe` command. */
export const subscribe: Command = {
  name: "subscribe",
  summary: "print messages (acked once printed), until --count, --timeout, Ctrl-C or a closed pipe",
  help: `Usage: stompest subscribe [URI] DEST [options]

Prints each message's body on its own line (or --json, or --headers). With client acks (the
default) a message is acked only after it was printed, one at a time, so \`| head -n 5\` acks the
five messages head printed and the broker keeps the rest. Ctrl-C, --count, --timeout or a closed
standard output end it: UNSUBSCRIBE, DISCONNECT, and nothing that was not printed is acked.
(Printed: under Deno on Linux, once the reader took the line from the pipe; elsewhere once the
system accepted the write.)

Options:
  --json                one JSON object per line: {"headers":{...},"body":"..."} ("bodyBase64"
                        instead of "body" when the body is not UTF-8)
  --headers             headers, a blank line, then the body
  --ack MODE            auto, client or client-individual (default client-individual; 1.0: client)
  --count N             stop after N messages (exit 4 if --timeout passes first)
  --timeout MS          stop after MS without a message (also the longest wait for the broker)
  --selector EXPR       a JMS selector (ActiveMQ)
  --prefetch N          unacked messages the broker may send ahead (default 100)
  -H, --header N:V      a SUBSCRIBE header (repeatable)

Examples:
  stompest subscribe tcp://127.0.0.1:61613 /queue/orders --count 10 --json
  stompest subscribe tcp://127.0.0.1:61613 /queue/orders | head -n 5
  stompest subscribe tcp://127.0.0.1:61623 /topic/prices --ack auto --selector "symbol = 'ACME'"`,
  run,
};
