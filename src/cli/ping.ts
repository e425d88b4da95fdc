/**
 * `stompest ping [URI] [DEST]`: round trips through a destination only this run uses (by
 * default a topic named by a UUID, which both RabbitMQ and ActiveMQ drop when the subscription
 * ends), like `ping`: a line per reply, then p50/p90/p99/max.
 *
 * @module
 */

import { deadline, type StompMessage } from "../core.ts";
import { clientSettings, parseCommandLine, positiveInt, takeUri } from "./args.ts";
import type { Command } from "./command.ts";
import { type CliContext, withClient } from "./context.ts";
import { CliTimeout, EXIT, UsageError } from "./exit.ts";
import { summary } from "./stats.ts";

const OPTIONS = {
  count: { type: "string", short: "c" },
  interval: { type: "string", short: "i" },
  json: { type: "boolean" },
} as const;

const SEQ_HEADER = "stompest-ping";

async function run(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  const uri = takeUri(positionals, ctx.rt.env);
  const [given, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`ping: unexpected argument "${extra[0]}"`);
  const destination = given ?? `/topic/stompest-ping-${crypto.randomUUID()}`;
  const count = positiveInt(values, "count", 10);
  const interval = values.interval === undefined ? 0 : positiveInt(values, "interval", 0);
  const settings = await clientSettings(uri, values, ctx.rt, { reconnect: false });
  const encoder = new TextEncoder();
  const print = (text: string) => values.json ? Promise.resolve() : ctx.rt.stdout.write(encoder.encode(text));
  return await withClient(ctx, settings, async (client) => {
    const sub = await client.subscribe(destination, {}, { ack: "auto", receipt: true });
    const replies = sub[Symbol.asyncIterator]();
    const times: number[] = [];
    let status: number = EXIT.ok;
    try {
      for (let seq = 1; seq <= count && !ctx.interrupt.aborted; seq++) {
        const start = performance.now();
        await client.send(destination, `ping ${seq}`, { [SEQ_HEADER]: String(seq) });
        let reply: StompMessage | undefined;
        // Skips strays (a reply to an earlier ping that timed out cannot arrive: the first miss ends the run).
        while (!reply || reply.headers[SEQ_HEADER] !== String(seq)) {
          const next = await deadline(
            replies.next(),
            { timeout: settings.timeout, signal: ctx.interrupt },
            "ping",
          )
            .catch((error) => {
              if (ctx.interrupt.aborted) return undefined;
              throw new CliTimeout(`no reply to ping ${seq} within ${settings.timeout} ms`, { cause: error });
            });
          if (!next) break;
          if (next.done) throw new UsageError(`ping: the subscription to ${destination} ended`);
          reply = next.value;
        }
        if (!reply) break;
        const ms = performance.now() - start;
        times.push(ms);
        await print(`reply from ${destination}: seq=${seq} time=${ms.toFixed(3)} ms\n`);
        if (interval > 0 && seq < count) {
          await deadline(new Promise((r) => setTimeout(r, interval)), { signal: ctx.interrupt }, "interval")
            .catch(() => {});
        }
      }
    } catch (error) {
      if (!(error instanceof CliTimeout)) throw error;
      ctx.warn(`timeout: ${error.message}`);
      status = EXIT.timeout;
    } finally {
      await sub.unsubscribe();
    }
    const s = summary(times);
    const fixed = (n: number) => Number.isNaN(n) ? "-" : n.toFixed(3);
    if (values.json) {
      const result = {
        destination,
        sent: times.length + (status === EXIT.timeout ? 1 : 0),
        received: times.length,
        ms: s,
      };
      await ctx.rt.stdout.write(encoder.encode(JSON.stringify(result) + "\n"));
    } else {
      await print(
        `--- ${destination} ---\n${times.length} received; ` +
          `p50 ${fixed(s.p50)} p90 ${fixed(s.p90)} p99 ${fixed(s.p99)} max ${fixed(s.max)} ms\n`,
      );
    }
    return ctx.interrupt.aborted ? EXIT.interrupted : status;
  });
}

/** The `ping` command. */
export const ping: Command = {
  name: "ping",
  summary: "round-trip latency through a temporary destination (p50/p90/p99/max)",
  help: `Usage: stompest ping [URI] [DEST] [options]

Subscribes to DEST (default: a topic named by a UUID, gone when the run ends), then sends COUNT
messages one after the other, timing each until it comes back. A reply missing for --timeout ms
ends the run with exit status 4.

Options:
  -c, --count N         pings (default 10)
  -i, --interval MS     pause between pings (default 0)
  --json                only a JSON summary

Examples:
  stompest ping tcp://127.0.0.1:61613
  stompest ping tcp://127.0.0.1:61623 /queue/ping-check -c 100 --json`,
  run,
};
