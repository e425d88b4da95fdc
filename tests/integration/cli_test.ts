/**
 * The `stompest` CLI against RabbitMQ and ActiveMQ, run as a subprocess the way a user runs it:
 * lines and binary bodies round-trip byte for byte, `| head -n 3` acks exactly three, SIGINT
 * loses nothing, ERROR frames and timeouts give their exit statuses, and `bench` verifies what it
 * consumed. `info` (every transport, TLS summaries): cli_info_test.ts.
 */
import assert from "node:assert/strict";
import { ACTIVEMQ, type BrokerEndpoint, brokerTest, RABBITMQ, uniqueQueue } from "../helpers/brokers.ts";
import { cliArgs, cliEnv, type CliResult, runCli, seeded } from "../helpers/cli.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const BROKERS: readonly BrokerEndpoint[] = [RABBITMQ.tcp, ACTIVEMQ.tcp];

function ok(result: CliResult, what: string): CliResult {
  assert.equal(result.code, 0, `${what}: exit ${result.code}\n${result.stderr}`);
  return result;
}

/** The bodies of `subscribe --json` output, as bytes. */
function jsonBodies(text: string): Uint8Array[] {
  return text.split("\n").filter((l) => l !== "").map((line) => {
    const m = JSON.parse(line) as { body?: string; bodyBase64?: string };
    return m.body !== undefined
      ? enc.encode(m.body)
      : Uint8Array.from(atob(m.bodyBase64!), (c) => c.charCodeAt(0));
  });
}

/** Nothing is left on `queue`: a subscribe for one message times out (exit 4) having printed nothing. */
async function assertEmpty(e: BrokerEndpoint, queue: string): Promise<void> {
  const r = await runCli(["subscribe", e.uri, queue, "--count", "1", "--timeout", "1500"]);
  assert.equal(r.code, 4, `expected an empty queue (exit 4), got ${r.code}: ${r.text} ${r.stderr}`);
  assert.equal(r.text, "");
}

/** `n` lines from a fixed seed: ASCII, multi-byte UTF-8, a BOM, CR, NUL, tabs, and invalid UTF-8. */
function generatedLines(n: number, seed: number): Uint8Array[] {
  const next = seeded(seed);
  const pieces = ["a", "Z", "0", " ", ":", "\\", "\t", "\r", "\0", "é", "€", "😀", '{"k":1}', "\ufeff"]
    .map((s) => enc.encode(s));
  const invalid = [Uint8Array.of(0xff), Uint8Array.of(0xc3), Uint8Array.of(0xed, 0xa0, 0x80)];
  return Array.from({ length: n }, () => {
    const parts: number[] = [];
    const length = next(12) === 0 ? 0 : next(40);
    for (let i = 0; i < length; i++) {
      const piece = next(50) === 0 ? invalid[next(invalid.length)] : pieces[next(pieces.length)];
      parts.push(...piece);
    }
    return Uint8Array.from(parts);
  });
}

function joinLines(lines: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(lines.reduce((n, l) => n + l.length + 1, 0));
  let at = 0;
  for (const line of lines) {
    out.set(line, at);
    out[at + line.length] = 0x0a;
    at += line.length + 1;
  }
  return out;
}

for (const e of BROKERS) {
  brokerTest(
    `cli ${e.broker}: send --lines of 10,000 lines, subscribe --count 10000 --json gives them back byte for byte`,
    e,
    async () => {
      const queue = uniqueQueue("cli-lines");
      const lines = generatedLines(10_000, e.broker === "rabbitmq" ? 1 : 2);
      assert.ok(
        lines.some((l) => l.length === 0) && lines.some((l) => l.includes(0xff)),
        "the seed covers the cases",
      );
      ok(await runCli(["send", e.uri, queue, "--lines"], { stdin: joinLines(lines) }), "send --lines");
      const got = ok(
        await runCli(["subscribe", e.uri, queue, "--count", "10000", "--json", "--timeout", "15000"]),
        "subscribe",
      );
      const bodies = jsonBodies(got.text);
      assert.equal(bodies.length, lines.length);
      for (let i = 0; i < lines.length; i++) assert.deepEqual(bodies[i], lines[i], `line ${i}`);
      await assertEmpty(e, queue);
    },
  );

  brokerTest(
    `cli ${e.broker}: a binary body via --file round-trips (--receipt, -H, --json bodyBase64)`,
    e,
    async () => {
      const queue = uniqueQueue("cli-binary");
      const next = seeded(3);
      const body = Uint8Array.from({ length: 70_000 }, () => next(256));
      const file = await Deno.makeTempFile({ dir: "/tmp", prefix: "stompest-cli-" });
      try {
        await Deno.writeFile(file, body);
        ok(
          await runCli(["send", e.uri, queue, "--file", file, "--receipt", "-H", "kind:blob"]),
          "send --file",
        );
      } finally {
        await Deno.remove(file);
      }
      const got = ok(
        await runCli(["subscribe", e.uri, queue, "--count", "1", "--json", "--timeout", "10000"]),
        "sub",
      );
      const message = JSON.parse(got.text) as { headers: Record<string, string>; bodyBase64?: string };
      assert.equal(message.headers.kind, "blob");
      assert.deepEqual(jsonBodies(got.text)[0], body);
    },
  );

  // `head -n 3` exits at once; `{ head -n 3; sleep 1; }` keeps the pipe open a second after taking
  // three lines, as a reader that stops reading and then works: a line written after the third sits
  // in the pipe unread, and must not be acked.
  for (
    const [reader, shape] of [["head -n 3", "head -n 3"], [
      "{ head -n 3; sleep 1; }",
      "a lingering head -n 3",
    ]]
  ) {
    brokerTest(
      `cli ${e.broker}: subscribe | ${shape} acks exactly 3: the 4th is still queued`,
      e,
      async () => {
        const queue = uniqueQueue("cli-head");
        const lines = enc.encode("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
        ok(await runCli(["send", e.uri, queue, "--lines"], { stdin: lines }), "send");
        const args = cliArgs(["subscribe", e.uri, queue, "--ack", "client-individual"]);
        const quoted = args.map((a) => `'${a}'`).join(" ");
        const { code, stdout, stderr } = await new Deno.Command("bash", {
          // The pipeline's own limit: a CLI that keeps waiting after the reader left fails the test (124).
          args: ["-c", `set -o pipefail; timeout 30 '${Deno.execPath()}' ${quoted} | ${reader}`],
          env: cliEnv(),
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(60_000),
        }).output();
        assert.equal(code, 0, dec.decode(stderr));
        assert.equal(dec.decode(stdout), "1\n2\n3\n");
        const rest = ok(
          await runCli(["subscribe", e.uri, queue, "--count", "7", "--timeout", "10000"]),
          "rest",
        );
        assert.equal(rest.text, "4\n5\n6\n7\n8\n9\n10\n");
        await assertEmpty(e, queue);
      },
    );
  }

  brokerTest(
    `cli ${e.broker}: SIGINT exits 130; what was printed is acked, the rest stays queued`,
    e,
    async () => {
      const queue = uniqueQueue("cli-sigint");
      const all = Array.from({ length: 50 }, (_, i) => String(i + 1));
      ok(
        await runCli(["send", e.uri, queue, "--lines"], { stdin: enc.encode(all.join("\n") + "\n") }),
        "send",
      );
      const child = new Deno.Command(Deno.execPath(), {
        args: cliArgs(["subscribe", e.uri, queue]),
        env: cliEnv(),
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).spawn();
      const printed: string[] = [];
      let partial = "";
      let interrupted = false;
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop()!;
        printed.push(...parts);
        if (!interrupted && printed.length >= 3) {
          child.kill("SIGINT");
          interrupted = true;
        }
      }
      const status = await child.status;
      const stderr = dec.decode(await new Response(child.stderr).arrayBuffer());
      assert.equal(status.code, 130, stderr);
      assert.equal(partial, "");
      assert.ok(printed.length >= 3 && printed.length < all.length, `printed ${printed.length}`);
      const left = all.length - printed.length;
      const rest = ok(
        await runCli(["subscribe", e.uri, queue, "--count", String(left), "--timeout", "10000"]),
        "rest",
      );
      assert.deepEqual([...printed, ...rest.text.split("\n").filter((l) => l !== "")], all);
      await assertEmpty(e, queue);
    },
  );

  brokerTest(
    `cli ${e.broker}: a wrong passcode exits 3 with the broker's message, the passcode printed nowhere`,
    e,
    async () => {
      const secret = "wrong-S3cret-passcode";
      const r = await runCli(["info", e.uri, "-v"], { env: { STOMP_PASSCODE: secret } });
      assert.equal(r.code, 3, r.stderr);
      assert.match(
        r.stderr,
        e.broker === "activemq" ? /broker ERROR: .*password is invalid/ : /broker ERROR: /,
      );
      assert.ok(!r.stderr.includes(secret) && !r.text.includes(secret));
    },
  );

  brokerTest(
    `cli ${e.broker}: bench runs a small publish+consume, verifies it and prints its table`,
    e,
    async () => {
      const r = ok(await runCli(["bench", e.uri, "-n", "500", "-s", "64"]), "bench");
      assert.match(r.text, /^\s+messages\s+bytes\s+seconds\s+msg\/s\s+MB\/s$/m);
      assert.match(r.text, /^publish\s+500\s+32000\s/m);
      assert.match(r.text, /^consume\s+500\s+32000\s/m);
      assert.match(r.text, /^verified: 500 of 500 messages, in order, bodies intact$/m);
      const json = JSON.parse(
        ok(await runCli(["bench", e.uri, "-n", "200", "--json", "--ack", "client"]), "json").text,
      );
      assert.equal(json.verified.ok, true);
      assert.equal(json.consume.messages, 200);
    },
  );

  brokerTest(`cli ${e.broker}: ping prints a line per reply and the percentiles`, e, async () => {
    const r = ok(await runCli(["ping", e.uri, "-c", "5"]), "ping");
    assert.equal(
      r.text.match(/^reply from \/topic\/stompest-ping-[0-9a-f-]+: seq=\d time=[\d.]+ ms$/gm)?.length,
      5,
    );
    assert.match(r.text, /^5 received; p50 [\d.]+ p90 [\d.]+ p99 [\d.]+ max [\d.]+ ms$/m);
  });
}

brokerTest(
  "cli rabbitmq: an ERROR frame after connecting exits 3 (a destination RabbitMQ refuses)",
  RABBITMQ.tcp,
  async (e) => {
    const r = await runCli(["send", e.uri, "/queue/a/b", "x"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /broker ERROR: /);
  },
);

brokerTest("cli rabbitmq: --count not reached within the idle --timeout exits 4", RABBITMQ.tcp, async (e) => {
  const queue = uniqueQueue("cli-idle");
  ok(await runCli(["send", e.uri, queue, "one", "--persistent"]), "send");
  const r = await runCli(["subscribe", e.uri, queue, "--count", "2", "--timeout", "1000"]);
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.text, "one\n");
  assert.match(r.stderr, /timeout: 1 of 2 messages/);
});

brokerTest(
  "cli rabbitmq: STOMP_URL is the default URI; send --count and --receipt=last",
  RABBITMQ.tcp,
  async (e) => {
    const queue = uniqueQueue("cli-env");
    ok(
      await runCli(["send", queue, "same", "--count", "3", "--receipt=last"], { env: { STOMP_URL: e.uri } }),
      "send",
    );
    const r = ok(
      await runCli(["subscribe", queue, "--count", "3", "--headers"], { env: { STOMP_URL: e.uri } }),
      "sub",
    );
    assert.equal(r.text.match(/\n\nsame\n/g)?.length, 3);
    assert.match(r.text, /^destination:/m);
  },
);

brokerTest(
  "cli rabbitmq: send --lines sends each line as it arrives (stdin still open); SIGINT then exits 130",
  RABBITMQ.tcp,
  async (e) => {
    const queue = uniqueQueue("cli-stream");
    const sender = new Deno.Command(Deno.execPath(), {
      args: cliArgs(["send", e.uri, queue, "--lines"]),
      env: cliEnv(),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).spawn();
    const input = sender.stdin.getWriter();
    try {
      await input.write(enc.encode("first\n"));
      // The line arrives while standard input stays open: nothing waits for the next line or EOF.
      const got = ok(await runCli(["subscribe", e.uri, queue, "--count", "1", "--timeout", "15000"]), "sub");
      assert.equal(got.text, "first\n");
      sender.kill("SIGINT");
      const { code, stderr } = await sender.output();
      assert.equal(code, 130, dec.decode(stderr));
    } finally {
      await input.close().catch(() => {});
    }
    await assertEmpty(e, queue);
  },
);
