/**
 * `stompest bench [URI]`: publish, consume, or both at once, and a table of msg/s and MB/s. Each
 * message carries its sequence number and a body derived from it, so the consumer checks count,
 * order and every byte, and says so. A live progress line goes to standard error when it is a
 * terminal; piped or with `--json`, only the result is printed.
 *
 * @module
 */

import type { AsyncStomp, StompAckMode } from "../core.ts";
import { clientSettings, parseCommandLine, positiveInt, takeUri } from "./args.ts";
import type { Command } from "./command.ts";
import { type CliContext, withClient } from "./context.ts";
import { CliTimeout, EXIT, UsageError } from "./exit.ts";

const OPTIONS = {
  mode: { type: "string" },
  count: { type: "string", short: "n" },
  size: { type: "string", short: "s" },
  dest: { type: "string" },
  ack: { type: "string" },
  prefetch: { type: "string" },
  json: { type: "boolean" },
} as const;

const MODES = ["publish", "consume", "both"] as const;
type Mode = typeof MODES[number];
const SEQ_HEADER = "bench-seq";
/** Sends the publisher keeps in flight. */
const PUBLISH_WINDOW = 64;

/**
 * The body of message `seq`: `size` bytes that differ per message and per position.
 *
 * @example
 * ```ts
 * import { benchBody } from "./bench.ts";
 * console.log(benchBody(1, 4)); // Uint8Array(4) [ 1, 8, 15, 22 ]
 * ```
 */
export function benchBody(seq: number, size: number): Uint8Array {
  const body = new Uint8Array(size);
  for (let i = 0; i < size; i++) body[i] = (seq + i * 7) & 0xff;
  return body;
}

function intact(body: Uint8Array, seq: number, size: number): boolean {
  if (body.length !== size) return false;
  for (let i = 0; i < size; i++) if (body[i] !== ((seq + i * 7) & 0xff)) return false;
  return true;
}

/** One phase's figures. */
interface Phase {
  messages: number;
  bytes: number;
  seconds: number;
}

interface Progress {
  publish?: Phase;
  consume?: Phase;
}

function rate(p: Phase): { msgPerSec: number; mbPerSec: number } {
  const s = p.seconds > 0 ? p.seconds : Number.EPSILON;
  return { msgPerSec: Math.round(p.messages / s), mbPerSec: Number((p.bytes / s / 1e6).toFixed(3)) };
}

async function publish(
  client: AsyncStomp,
  destination: string,
  count: number,
  size: number,
  phase: Phase,
  ctx: CliContext,
): Promise<void> {
  const start = performance.now();
  // Up to PUBLISH_WINDOW sends in flight, as a producer that does not await each send runs: the
  // client's writer then puts several frames into one write.
  const inflight: Promise<void>[] = [];
  for (let seq = 0; seq < count && !ctx.interrupt.aborted; seq++) {
    // The last one waits for its receipt: the time includes the broker taking every message.
    const sent = client.send(destination, benchBody(seq, size), { [SEQ_HEADER]: String(seq) }, {
      receipt: seq === count - 1,
    });
    sent.catch(() => {}); // awaited below, in order
    inflight.push(sent);
    if (inflight.length >= PUBLISH_WINDOW) await inflight.shift();
    phase.messages++;
    phase.bytes += size;
    phase.seconds = (performance.now() - start) / 1000;
  }
  while (inflight.length > 0) await inflight.shift();
  phase.seconds = (performance.now() - start) / 1000;
}

interface Verification {
  inOrder: number;
  outOfOrder: number;
  corrupt: number;
}

async function consume(
  client: AsyncStomp,
  destination: string,
  options: { count: number; size: number; ack: StompAckMode; window?: number; timeout: number },
  phase: Phase,
  subscribed: () => void,
  ctx: CliContext,
): Promise<Verification> {
  const sub = await client.subscribe(destination, {}, {
    ack: options.ack,
    receipt: true,
    // Auto acks have no flow control: the broker sends as fast as it can. The bench knows how
    // many messages come, so it can hold them all rather than fail as a slow consumer.
    bufferSize: Math.max(1000, options.count),
    ...(options.window !== undefined ? { window: options.window } : {}),
  });
  subscribed();
  const verification: Verification = { inOrder: 0, outOfOrder: 0, corrupt: 0 };
  const iterator = sub[Symbol.asyncIterator]();
  let start: number | undefined;
  const stop = new Promise<"stop">((resolve) => {
    if (ctx.interrupt.aborted) resolve("stop");
    ctx.interrupt.addEventListener("abort", () => resolve("stop"), { once: true });
  });
  try {
    while (phase.messages < options.count && !ctx.interrupt.aborted) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<"idle">((resolve) =>
        timer = setTimeout(() => resolve("idle"), options.timeout)
      );
      const next = await Promise.race([iterator.next(), idle, stop]).finally(() => clearTimeout(timer));
      if (next === "stop") break;
      if (next === "idle") {
        throw new CliTimeout(
          `${phase.messages} of ${options.count} messages, then none for ${options.timeout} ms`,
        );
      }
      if (next.done) {
        await sub.closed;
        throw new UsageError(`bench: the subscription to ${destination} ended`);
      }
      start ??= performance.now();
      const msg = next.value;
      const seq = Number(msg.headers[SEQ_HEADER]);
      if (seq === phase.messages) verification.inOrder++;
      else verification.outOfOrder++;
      if (!intact(msg.body, seq, options.size)) verification.corrupt++;
      if (options.ack !== "auto") await msg.ack();
      phase.messages++;
      phase.bytes += msg.body.length;
      phase.seconds = (performance.now() - start) / 1000;
    }
  } finally {
    await sub.unsubscribe();
  }
  return verification;
}

/** The phases that ran, publish first. */
function phases(progress: Progress): [string, Phase][] {
  return (["publish", "consume"] as const).filter((name) => progress[name]).map((
    name,
  ) => [name, progress[name]!]);
}

function progressLine(progress: Progress): string {
  const parts: string[] = [];
  for (const [name, p] of phases(progress)) {
    const r = rate(p);
    parts.push(
      `${name} ${p.messages} msgs ${r.msgPerSec} msg/s ${r.mbPerSec} MB/s ${p.seconds.toFixed(1)} s`,
    );
  }
  return parts.join(" | ");
}

function table(progress: Progress): string {
  const rows = [["", "messages", "bytes", "seconds", "msg/s", "MB/s"]];
  for (const [name, p] of phases(progress)) {
    const r = rate(p);
    rows.push([
      name,
      String(p.messages),
      String(p.bytes),
      p.seconds.toFixed(3),
      String(r.msgPerSec),
      String(r.mbPerSec),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) =>
    row.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  ")
  )
    .join("\n");
}

async function run(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  const uri = takeUri(positionals, ctx.rt.env);
  if (positionals.length > 0) throw new UsageError(`bench: unexpected argument "${positionals[0]}"`);
  const mode = (values.mode ?? "both") as Mode;
  if (!MODES.includes(mode)) throw new UsageError(`--mode must be publish, consume or both, got "${mode}"`);
  const count = positiveInt(values, "count", 10_000);
  const size = values.size === "0" ? 0 : positiveInt(values, "size", 100);
  const ack = (values.ack ?? "auto") as StompAckMode;
  if (!["auto", "client", "client-individual"].includes(ack)) {
    throw new UsageError(`--ack must be auto, client or client-individual, got "${ack}"`);
  }
  if (mode === "consume" && values.dest === undefined) {
    throw new UsageError("bench --mode consume: give --dest (where a --mode publish run left its messages)");
  }
  const window = positiveInt(values, "prefetch");
  const destination = (values.dest as string | undefined) ?? `/queue/stompest-bench-${crypto.randomUUID()}`;
  const settings = await clientSettings(uri, values, ctx.rt, { reconnect: false });
  const live = ctx.rt.stderrIsTerminal && !values.json;

  return await withClient(ctx, settings, async (client) => {
    const progress: Progress = {};
    const ticker = live
      ? setInterval(() => ctx.rt.stderr(`\r\x1b[K${progressLine(progress)}`), 250)
      : undefined;
    let verification: Verification | undefined;
    try {
      let consuming: Promise<Verification> | undefined;
      if (mode !== "publish") {
        const phase = progress.consume = { messages: 0, bytes: 0, seconds: 0 };
        let ready!: () => void;
        const subscribed = new Promise<void>((resolve) => ready = resolve);
        consuming = consume(
          client,
          destination,
          { count, size, ack, window, timeout: settings.timeout },
          phase,
          ready,
          ctx,
        );
        // The subscription is in place before the first message is sent.
        await Promise.race([subscribed, consuming]);
      }
      if (mode !== "consume") {
        await publish(
          client,
          destination,
          count,
          size,
          progress.publish = { messages: 0, bytes: 0, seconds: 0 },
          ctx,
        );
      }
      verification = await consuming;
    } finally {
      if (ticker !== undefined) {
        clearInterval(ticker);
        ctx.rt.stderr("\r\x1b[K");
      }
    }
    const ok = !verification || (verification.inOrder === count && verification.corrupt === 0);
    if (values.json) {
      const result = {
        mode,
        destination,
        count,
        size,
        ...(progress.publish ? { publish: { ...progress.publish, ...rate(progress.publish) } } : {}),
        ...(progress.consume ? { consume: { ...progress.consume, ...rate(progress.consume) } } : {}),
        ...(verification ? { verified: { ...verification, ok } } : {}),
      };
      await ctx.rt.stdout.write(new TextEncoder().encode(JSON.stringify(result) + "\n"));
    } else {
      const lines = [table(progress)];
      if (verification) {
        const received = verification.inOrder + verification.outOfOrder;
        lines.push(
          ok
            ? `verified: ${received} of ${count} messages, in order, bodies intact`
            : `verification FAILED: ${received} of ${count} messages, ${verification.outOfOrder} out of order, ` +
              `${verification.corrupt} with a wrong body`,
        );
      }
      if (mode === "publish") lines.push(`published to ${destination}`);
      await ctx.rt.stdout.write(new TextEncoder().encode(lines.join("\n") + "\n"));
    }
    if (ctx.interrupt.aborted) return EXIT.interrupted;
    return ok ? EXIT.ok : EXIT.usage;
  });
}

/** The `bench` command. */
export const bench: Command = {
  name: "bench",
  summary: "publish / consume / both, with msg/s and MB/s, verifying every message consumed",
  help: `Usage: stompest bench [URI] [options]

Publishes COUNT messages of SIZE bytes, consumes them, or both at once on one connection, and
prints msg/s and MB/s. Every message carries its sequence number and a body derived from it: the
consumer checks count, order and every byte, and says so (exit status 1 when a check fails).

Options:
  --mode M              publish, consume or both (default both)
  -n, --count N         messages (default 10000)
  -s, --size B          body bytes (default 100)
  --dest D              destination (default a new /queue/stompest-bench-<uuid>; --mode consume needs it)
  --ack MODE            the consumer's ack mode (default auto)
  --prefetch N          client acks: unacked messages the broker may send ahead (default 100)
  --json                one JSON object instead of the table

Examples:
  stompest bench tcp://127.0.0.1:61613 -n 100000 -s 1024
  stompest bench tcp://127.0.0.1:61623 --mode publish --dest /queue/b -n 50000 --json`,
  run,
};
