/**
 * The CLI's pieces without a broker: line splitting, output formats, argument parsing, exit
 * statuses, help, and a dead URI (exit 2 after the failover's attempts) run as a subprocess.
 */
import assert from "node:assert/strict";
import {
  StompCancelledError,
  StompConnectionError,
  StompConnectTimeout,
  StompFrame,
  StompProtocolError,
} from "../mod.ts";
import { lines, readAll } from "../src/cli/lines.ts";
import { base64, formatMessage } from "../src/cli/format.ts";
import { clientSettings, parseCommandLine, positiveInt, takeUri } from "../src/cli/args.ts";
import { CliTimeout, EXIT, exitFor, UsageError } from "../src/cli/exit.ts";
import { headerArgs } from "../src/cli/send.ts";
import { COMMANDS, main } from "../src/cli/main.ts";
import type { CliRuntime, CliWriteResult } from "../src/cli/runtime.ts";
import { percentile, summary } from "../src/cli/stats.ts";
import { runCli, seeded } from "./helpers/cli.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A runtime that records what the CLI prints. */
function fakeRuntime(args: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) {
  const out: Uint8Array[] = [];
  let err = "";
  const rt: CliRuntime = {
    args,
    env: (name) => env[name],
    readFile: (path) =>
      path in files ? Promise.resolve(enc.encode(files[path])) : Promise.reject(new Error("No such file")),
    stdin: () => [][Symbol.iterator]() as unknown as AsyncIterable<Uint8Array>,
    stdout: {
      confirmsReads: false,
      write: (bytes): Promise<CliWriteResult> => {
        out.push(bytes.slice());
        return Promise.resolve("taken");
      },
    },
    stderr: (text) => void (err += text),
    stderrIsTerminal: false,
    onInterrupt: () => () => {},
  };
  return { rt, stdout: () => dec.decode(readAllSync(out)), stderr: () => err };
}

function readAllSync(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

Deno.test("lines: any chunking of the input yields the same lines, bytes kept (CR, invalid UTF-8, empty lines)", async () => {
  const next = seeded(16);
  const alphabet = [0x61, 0x62, 0x0d, 0x00, 0xff, 0xc3, 0xa9, 0x20, 0x0a, 0x0a];
  for (let round = 0; round < 200; round++) {
    const input = Uint8Array.from({ length: next(300) }, () => alphabet[next(alphabet.length)]);
    const expected: number[][] = [];
    let current: number[] = [];
    for (const b of input) {
      if (b === 0x0a) {
        expected.push(current);
        current = [];
      } else current.push(b);
    }
    if (current.length > 0) expected.push(current);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < input.length;) {
      const size = 1 + next(40);
      chunks.push(input.slice(at, at + size));
      at += size;
    }
    const got = (await Array.fromAsync(lines(chunks))).map((l) => [...l]);
    assert.deepEqual(got, expected, `round ${round}`);
  }
});

Deno.test("lines: a reused read buffer does not change lines already yielded", async () => {
  const buffer = enc.encode("ab\ncd");
  async function* reused() {
    yield buffer;
    buffer.set(enc.encode("xy\nzz"));
    yield buffer;
  }
  const got = (await Array.fromAsync(lines(reused()))).map((l) => dec.decode(l));
  assert.deepEqual(got, ["ab", "cdxy", "zz"]);
  assert.equal((await readAll([enc.encode("a"), enc.encode("bc")])).length, 3);
});

Deno.test("format: json keeps UTF-8 text (BOM included) and base64s anything else; body and headers formats", () => {
  const frame = (body: Uint8Array) =>
    new StompFrame("MESSAGE", [["destination", "/queue/a"], ["x", "1"], ["x", "2"]], body);
  const bom = Uint8Array.from([0xef, 0xbb, 0xbf, 0x68, 0x69]);
  const json = JSON.parse(dec.decode(formatMessage(frame(bom), "json")));
  assert.deepEqual(json, { headers: { destination: "/queue/a", x: "1" }, body: "\ufeffhi" });
  assert.deepEqual(enc.encode(json.body), bom);
  const binary = Uint8Array.from([0, 1, 0xff, 0x0a, 0xc3]);
  const b = JSON.parse(dec.decode(formatMessage(frame(binary), "json")));
  assert.equal(b.body, undefined);
  assert.equal(b.bodyBase64, base64(binary));
  assert.deepEqual(Uint8Array.from(atob(b.bodyBase64), (c) => c.charCodeAt(0)), binary);
  assert.deepEqual(formatMessage(frame(binary), "body"), Uint8Array.from([...binary, 0x0a]));
  assert.equal(
    dec.decode(formatMessage(frame(enc.encode("hi")), "headers")),
    "destination:/queue/a\nx:1\nx:2\n\nhi\n",
  );
  const big = Uint8Array.from({ length: 100_000 }, (_, i) => i & 0xff);
  assert.deepEqual(Uint8Array.from(atob(base64(big)), (c) => c.charCodeAt(0)), big);
});

Deno.test("args: unknown options and bad values are usage errors naming them; URI from the argument or STOMP_URL", () => {
  assert.throws(
    () => parseCommandLine(["--bogus"], {}),
    (e) => e instanceof UsageError && /--bogus/.test(e.message),
  );
  assert.throws(
    () => parseCommandLine(["--login"], {}),
    (e) => e instanceof UsageError && /--login/.test(e.message),
  );
  assert.equal(parseCommandLine(["--receipt"], { receipt: { type: "string" } }).values.receipt, "each");
  assert.equal(parseCommandLine(["--receipt=last"], { receipt: { type: "string" } }).values.receipt, "last");
  assert.throws(() => positiveInt({ count: "0" }, "count"), /--count must be a positive integer/);
  assert.throws(() => positiveInt({ count: "1e3" }, "count"), UsageError);
  assert.equal(positiveInt({}, "count", 7), 7);
  const rest = ["/queue/a"];
  assert.equal(takeUri(rest, (n) => n === "STOMP_URL" ? "tcp://h:1" : undefined), "tcp://h:1");
  assert.deepEqual(rest, ["/queue/a"]);
  const withUri = ["failover:(tcp://a:1,tcp://b:2)", "/queue/a"];
  assert.equal(takeUri(withUri, () => undefined), "failover:(tcp://a:1,tcp://b:2)");
  assert.throws(() => takeUri(["/queue/a"], () => undefined), /STOMP_URL/);
  assert.deepEqual(headerArgs(["a:b:c", "x:"]), { a: "b:c", x: "" });
  assert.throws(() => headerArgs([":v"]), UsageError);
});

Deno.test("args: passcode from STOMP_PASSCODE or a file (newline trimmed); on the command line with a warning", async () => {
  const env = { STOMP_PASSCODE: "from-env", STOMP_LOGIN: "me" };
  const a = fakeRuntime([], env, { "/p": "from-file\n", "/ca": "PEM", "/c": "CERT", "/k": "KEY" });
  assert.equal((await clientSettings("tcp://h:1", {}, a.rt)).options.passcode, "from-env");
  assert.equal((await clientSettings("tcp://h:1", {}, a.rt)).options.login, "me");
  const file = await clientSettings("tcp://h:1", { "passcode-file": "/p", ca: ["/ca"] }, a.rt);
  assert.equal(file.options.passcode, "from-file");
  assert.deepEqual(file.options.tls, { caCerts: ["PEM"] });
  assert.equal(a.stderr(), "");
  await clientSettings("tcp://h:1", { passcode: "p" }, a.rt);
  assert.match(a.stderr(), /warning: --passcode is visible/);
  await assert.rejects(clientSettings("tcp://h:1", { ca: ["/missing"] }, a.rt), /--ca \/missing/);
  await assert.rejects(clientSettings("tcp://h:1", { version: "1.3" }, a.rt), /--version must be/);
  await assert.rejects(clientSettings("tcp://h:1", { "heart-beat": "1000" }, a.rt), /--heart-beat/);
  await assert.rejects(clientSettings("tcp://h:1", { cert: "/c" }, a.rt), /--cert and --key go together/);
  await assert.rejects(clientSettings("tcp://h:1", { key: "/k" }, a.rt), /--cert and --key go together/);
  await assert.rejects(clientSettings("tcp://h:1", { cert: "/c", key: "/missing" }, a.rt), /--key \/missing/);
  const mtls = await clientSettings("tcp://h:1", { ca: ["/ca"], cert: "/c", key: "/k" }, a.rt);
  assert.deepEqual(mtls.options.tls, { caCerts: ["PEM"], cert: "CERT", key: "KEY" });
  const t = await clientSettings("tcp://h:1", { timeout: "1500" }, a.rt);
  assert.equal(t.options.connectTimeout, 1500);
  assert.equal(t.options.receiptTimeout, 1500);
});

Deno.test("exit: each failure maps to its status", () => {
  const error = new StompFrame("ERROR", { message: "Bad CONNECT" }, "details");
  assert.deepEqual(exitFor(new StompProtocolError("x", { frame: error }), true), {
    status: EXIT.broker,
    message: "broker ERROR: Bad CONNECT",
  });
  assert.equal(exitFor(new StompConnectTimeout("gave up", { attempts: 3 }), true).status, EXIT.connection);
  // A CONNECT answered with ERROR, wrapped by the failover's give-up error, is still the broker's refusal.
  const refused = new StompConnectTimeout("gave up", {
    cause: new StompProtocolError("x", { frame: error }),
  });
  assert.deepEqual(exitFor(refused, true), { status: EXIT.broker, message: "broker ERROR: Bad CONNECT" });
  assert.equal(exitFor(new StompConnectionError("lost"), false).status, EXIT.connection);
  assert.equal(exitFor(new StompCancelledError("RECEIPT r timed out"), false).status, EXIT.timeout);
  assert.equal(exitFor(new StompCancelledError("connect timed out"), true).status, EXIT.connection);
  assert.equal(exitFor(new CliTimeout("3 of 10"), false).status, EXIT.timeout);
  assert.equal(exitFor(new UsageError("bad"), false).status, EXIT.usage);
  assert.match(
    exitFor(new StompConnectionError("outer", { cause: new Error("inner reason") }), true).message,
    /outer: inner reason/,
  );
});

Deno.test("stats: nearest-rank percentiles", () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.deepEqual(summary(samples), { p50: 50, p90: 90, p99: 99, max: 100 });
  assert.equal(percentile([5], 99), 5);
  assert.ok(Number.isNaN(summary([]).p50));
});

Deno.test("help: the overview and every command's --help (with an example) exit 0; no command exits 1", async () => {
  const overview = fakeRuntime(["--help"]);
  assert.equal(await main(overview.rt), EXIT.ok);
  for (const c of COMMANDS) assert.match(overview.stdout(), new RegExp(`^  ${c.name} `, "m"));
  for (const c of COMMANDS) {
    const f = fakeRuntime([c.name, "--help"]);
    assert.equal(await main(f.rt), EXIT.ok, c.name);
    assert.match(f.stdout(), new RegExp(`^Usage: stompest ${c.name}`), c.name);
    assert.match(f.stdout(), /Examples?:\n {2}stompest /, c.name);
    assert.match(f.stdout(), /Exit status: 0 ok, 1 usage, 2 connection failed, 3 broker ERROR, 4 timeout/);
  }
  assert.equal(await main(fakeRuntime([]).rt), EXIT.usage);
  const unknown = fakeRuntime(["publish"]);
  assert.equal(await main(unknown.rt), EXIT.usage);
  assert.match(unknown.stderr(), /unknown command "publish"/);
});

Deno.test("usage errors exit 1 before connecting, naming the problem", async () => {
  const cases: [string[], RegExp][] = [
    [["send", "tcp://127.0.0.1:1", "/queue/a", "x", "--bogus"], /Unknown option '--bogus'/],
    [["send", "tcp://127.0.0.1:1"], /no destination/],
    [["send", "/queue/a", "x"], /no broker URI/],
    [["send", "tcp://127.0.0.1:1", "/queue/a", "x", "--lines"], /--lines reads standard input/],
    [["send", "tcp://127.0.0.1:1", "/queue/a", "--file", "/nonexistent/f"], /--file \/nonexistent\/f/],
    [["send", "tcp://127.0.0.1:1", "/queue/a", "x", "--receipt=sometimes"], /--receipt takes/],
    [["subscribe", "tcp://127.0.0.1:1", "/queue/a", "--ack", "never"], /--ack must be/],
    [["subscribe", "tcp://127.0.0.1:1", "/queue/a", "--json", "--headers"], /--json or --headers/],
    [["bench", "tcp://127.0.0.1:1", "--mode", "consume"], /give --dest/],
    [["info", "tcp://127.0.0.1:1", "extra"], /unexpected argument "extra"/],
  ];
  for (const [args, message] of cases) {
    const f = fakeRuntime(args);
    assert.equal(await main(f.rt), EXIT.usage, args.join(" "));
    assert.match(f.stderr(), message, args.join(" "));
  }
});

Deno.test("a dead URI exits 2 after the failover's attempts, naming them (subprocess)", async () => {
  const uri =
    "failover:(tcp://127.0.0.1:1,tcp://127.0.0.1:2)?startupMaxReconnectAttempts=2&initialReconnectDelay=1";
  const { code, stderr, text } = await runCli(["info", uri, "--passcode-file", "/dev/null"]);
  assert.equal(code, EXIT.connection, stderr);
  assert.match(stderr, /connection failed: .*after 3 attempts/);
  assert.equal(text, "");
});

Deno.test("layering: nothing outside src/cli imports it, and the CLI reaches the library only through src/core.ts", async () => {
  const root = new URL("../", import.meta.url).pathname;
  const importsOf = (text: string) => [...text.matchAll(/(?:from|import)\s+"([^"]+)"/g)].map((m) => m[1]);
  const isCli = (specifier: string) => /(^|\/)cli(\/|\.ts$)/.test(specifier);
  const walk = async function* (dir: string): AsyncGenerator<string> {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) yield* walk(path);
      else if (path.endsWith(".ts")) yield path;
    }
  };
  for await (const file of walk(`${root}src`)) {
    const imports = importsOf(await Deno.readTextFile(file));
    if (!file.includes("/src/cli/")) {
      assert.ok(!imports.some(isCli), `${file} imports the CLI`);
      continue;
    }
    const library = imports.filter((s) => s.startsWith("../"));
    // The Node entry registers its connector by importing src/node.ts; everything else uses core.ts.
    const allowed = file.endsWith("/src/cli/node.ts") ? ["../core.ts", "../node.ts"] : ["../core.ts"];
    for (const s of library) assert.ok(allowed.includes(s), `${file} imports ${s}`);
  }
  for (const entry of ["mod.ts", "browser.ts", "src/node.ts", "src/core.ts"]) {
    assert.ok(!importsOf(await Deno.readTextFile(`${root}${entry}`)).some(isCli), entry);
  }
});
