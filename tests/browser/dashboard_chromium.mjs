// The dashboard (examples/dashboard) in real headless Chromium against RabbitMQ Web-STOMP, with the
// Deno server publishing: node --test tests/browser/dashboard_chromium.mjs (scripts/ci_browser.sh
// installs what it needs). Restarts RabbitMQ on the way. Waits on events, never on the clock.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, test } from "node:test";

// A CommonJS package from tests/browser/node_modules, and kept out of `deno check`'s module graph.
const { chromium } = createRequire(import.meta.url)("playwright-core");

const ROOT = new URL("../../", import.meta.url).pathname;
const RESULTS = join(ROOT, "test-results", "browser");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];
const TOPIC = `/topic/dashboard-test-${randomUUID()}`;
const CA_PEM = "/etc/stomp-test-tls/ca.pem";
const WSS = "wss://127.0.0.1:15673/ws";
const BROKER_RESTART_MS = 120_000;

/** Runs a child to its end; rejects with its output when it fails or outlives `timeout`. */
function run(command, args, timeout) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => output += d);
    child.stderr.on("data", (d) => output += d);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")}: ${signal ?? `exit ${code}`}\n${output}`));
    });
  });
}

/** Starts the dashboard server; resolves with its URL once it printed it. */
function startServer() {
  const child = spawn("deno", [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "--allow-run",
    "--allow-env",
    "examples/dashboard/serve.ts",
    "--port=0",
    "--interval=200",
    `--topic=${TOPIC}`,
  ], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stderr.on("data", (d) => log += d);
  const url = new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${log}`)), 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /dashboard: (http:\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${log}`));
    });
  });
  return { child, url, log: () => log };
}

/** Rejects after `ms` unless `promise` settles first: bounds a wait that has no timeout of its own. */
function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

describe("dashboard in Chromium over RabbitMQ Web-STOMP", () => {
  let server, base, context, page, profile, home;
  const pageLog = [];

  /** What the Deno side heard on the topic from others, as JSON; waits for it on the server. */
  async function heard(query) {
    const res = await fetch(`${base}api/received?${new URLSearchParams({ timeout: "20000", ...query })}`);
    const body = await res.json();
    assert.equal(res.status, 200, `the Deno subscriber got nothing matching ${JSON.stringify(query)}`);
    return body;
  }

  /** Waits in the page for a message matching `predicate(m, arg)`; resolves with its body bytes. */
  async function pageReceives(predicate, arg, timeout = 20_000) {
    await page.waitForFunction(
      ([source, a]) => dashboard.messages.some((m) => new Function("m", "a", source)(m, a)),
      [predicate, arg],
      { timeout },
    );
    return page.evaluate(([source, a]) => {
      const m = dashboard.messages.findLast((m) => new Function("m", "a", source)(m, a));
      return { headers: m.headers, generation: m.generation, body: Array.from(m.body) };
    }, [predicate, arg]);
  }

  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    server = startServer();
    base = await server.url;
    profile = mkdtempSync(join(tmpdir(), "stompest-chromium-"));
    // Chromium on Linux trusts the CAs in $HOME/.pki/nssdb: the test CA goes there, in a HOME of the test's
    // own, so that wss:// is verified for real (no flag that turns verification off).
    home = mkdtempSync(join(tmpdir(), "stompest-chromium-home-"));
    const nssdb = `sql:${join(home, ".pki", "nssdb")}`;
    mkdirSync(join(home, ".pki", "nssdb"), { recursive: true });
    await run("certutil", ["-N", "-d", nssdb, "--empty-password"], 30_000);
    await run("certutil", ["-A", "-d", nssdb, "-n", "stomp-test-ca", "-t", "C,,", "-i", CA_PEM], 30_000);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      env: { ...process.env, HOME: home },
      viewport: { width: 1200, height: 900 },
    });
    page = context.pages()[0] ?? await context.newPage();
    page.on("console", (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => pageLog.push(`pageerror: ${e.message}`));
    page.setDefaultTimeout(30_000);
  });

  after(async () => {
    if (page) await page.screenshot({ path: join(RESULTS, "dashboard-last.png") }).catch(() => {});
    await context?.close();
    server?.child.kill("SIGTERM");
    for (const dir of [profile, home]) if (dir) rmSync(dir, { recursive: true, force: true });
    if (process.exitCode) {
      console.log(`--- page log\n${pageLog.join("\n")}\n--- server log\n${server?.log()}`);
    }
  });

  test("the page loads, connects over WebSocket-STOMP and subscribes", async () => {
    await page.goto(`${base}?${new URLSearchParams({ topic: TOPIC, heartbeat: "1000" })}`);
    await page.waitForFunction(() => dashboard.state === "connected" && dashboard.subscription !== undefined);
    const state = await page.evaluate(() => ({
      version: dashboard.version,
      tickerMode: dashboard.tickerMode,
      uri: document.getElementById("uri").value,
      beats: [dashboard.client.session.clientHeartBeat, dashboard.client.session.serverHeartBeat],
    }));
    assert.deepEqual(state.beats, [1000, 1000], "the page's ?heartbeat=1000 was negotiated");
    assert.equal(state.version, "1.2");
    assert.equal(state.tickerMode, "worker", "a page runs its heart-beats on the Worker ticker");
    assert.match(state.uri, /^ws:\/\/127\.0\.0\.1:15674\/ws/);
  });

  test("it receives what the Deno publisher sends", async () => {
    const msg = await pageReceives("return m.headers.origin === 'deno'");
    const data = JSON.parse(Buffer.from(msg.body).toString("utf8"));
    assert.equal(typeof data.seq, "number");
    assert.equal(msg.headers["content-type"], "application/json");
    assert.equal(msg.headers.destination, TOPIC);
    await page.waitForFunction(() => Number(document.getElementById("total").textContent) > 0);
  });

  test("the Publish button sends, and the Deno subscriber receives it", async () => {
    const token = `from the page ${randomUUID()}`;
    await page.fill("#text", token);
    await page.click("#send");
    const got = await heard({ text: token });
    assert.equal(got.headers.origin, "page");
    assert.equal(got.headers["content-type"], "text/plain");
    await pageReceives("return new TextDecoder().decode(m.body) === a", token); // and it shows up live
  });

  test("binary bodies round-trip both ways unchanged (every byte value, NULs included)", async () => {
    const bytes = [...Array.from({ length: 256 }, (_, i) => i), ...randomBytes(4096)];
    // page -> broker -> Deno
    const up = randomUUID();
    await page.evaluate(([b, id]) => dashboard.publish(new Uint8Array(b), { "x-test": id }), [bytes, up]);
    const got = await heard({ header: "x-test", value: up });
    assert.equal(got.headers["content-type"], "application/octet-stream");
    assert.deepEqual([...Buffer.from(got.base64, "base64")], bytes);
    // ... and back to the page that sent it
    assert.deepEqual((await pageReceives("return m.headers['x-test'] === a", up)).body, bytes);
    // Deno -> broker -> page
    const down = randomUUID();
    const res = await fetch(`${base}api/publish?x-test=${down}`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: new Uint8Array(bytes),
    });
    assert.equal(res.status, 200, await res.text());
    const msg = await pageReceives("return m.headers['x-test'] === a", down);
    assert.equal(msg.headers.origin, "deno");
    assert.deepEqual(msg.body, bytes);
  });

  test("heart-beats keep the connection alive on the Worker while the page's own timers are stopped", async () => {
    // A background tab's timers are throttled; here they stop outright. Under the same conditions
    // a control client on the page's timers falls silent and the broker drops it, while the
    // dashboard's client (Worker ticker) keeps beating and stays connected.
    const result = await within(
      page.evaluate(async () => {
        const { AsyncStomp, timerTicker } = dashboard.lib;
        const control = new AsyncStomp(document.getElementById("uri").value, {
          login: "guest",
          passcode: "guest",
          host: "/",
          heartBeats: [1000, 1000],
          ticker: timerTicker,
          reconnect: false,
        });
        control.disconnected.catch(() => {});
        const controlEvents = control.status();
        await control.connect();
        const dropped = (async () => {
          for await (const e of controlEvents) if (e.type === "disconnected") return e.error?.message ?? "";
        })();
        const main = dashboard.client.session;
        const reconnects = dashboard.reconnects;
        const saved = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval };
        const realSetTimeout = saved.setTimeout.bind(globalThis);
        const mainStart = main.lastSent;
        const mainBeats = new Set();
        let why;
        globalThis.setTimeout = globalThis.setInterval = () => 0;
        try {
          const beating = new Promise((resolve) => {
            const onTick = () => {
              if (typeof main.lastSent === "number" && main.lastSent !== mainStart) {
                mainBeats.add(main.lastSent);
              }
            };
            addEventListener("dashboard:tick", onTick);
            dropped.finally(() => {
              removeEventListener("dashboard:tick", onTick);
              resolve();
            });
          });
          let guard;
          await Promise.race([
            beating.then(async () => why = await dropped),
            new Promise((_, reject) => {
              guard = realSetTimeout(() => reject(new Error("the control client was never dropped")), 20_000);
            }),
          ]);
          clearTimeout(guard);
        } finally {
          Object.assign(globalThis, saved);
          await control.close();
        }
        const beats = [...mainBeats];
        return {
          mainBeats: beats.length,
          span: Math.max(...beats) - Math.min(...beats),
          controlDropped: why,
          state: dashboard.state,
          reconnects: dashboard.reconnects - reconnects,
        };
      }),
      30_000,
      "heart-beat probe",
    );
    assert.equal(typeof result.controlDropped, "string", "the broker dropped the silent control client");
    // 0.8 s apart: a timer-driven client would have sent one at most (the one scheduled before the stop).
    assert.ok(result.mainBeats >= 2, `the dashboard's client beat ${result.mainBeats} times meanwhile`);
    assert.ok(result.span >= 700, `beats spread over ${result.span} ms`);
    assert.equal(result.state, "connected");
    assert.equal(result.reconnects, 0);
  });

  test("after a broker restart the page reconnects and resubscribes by itself", async () => {
    const before = await page.evaluate(() => ({
      reconnects: dashboard.reconnects,
      generation: Math.max(...dashboard.messages.map((m) => m.generation)),
    }));
    await run("bash", ["scripts/brokers.sh", "stop", "rabbitmq"], BROKER_RESTART_MS);
    await page.waitForFunction(() => dashboard.state !== "connected");
    await run("bash", ["scripts/brokers.sh", "start", "rabbitmq"], BROKER_RESTART_MS);
    await page.waitForFunction(
      (n) => dashboard.state === "connected" && dashboard.reconnects > n,
      before.reconnects,
      { timeout: 60_000 },
    );
    // Nothing re-subscribed by hand: the client replayed the subscription on the new connection.
    const msg = await pageReceives(
      "return m.headers.origin === 'deno' && m.generation > a",
      before.generation,
      60_000,
    );
    assert.ok(msg.generation > before.generation);
    const token = `after the restart ${randomUUID()}`;
    await page.fill("#text", token);
    await page.click("#send");
    assert.equal((await heard({ text: token })).headers.origin, "page");
    await pageReceives("return new TextDecoder().decode(m.body) === a", token);
    // Counted, not listed: a slow restart makes many reconnect attempts and the list keeps the latest.
    const counts = await page.evaluate(() => dashboard.eventCounts);
    assert.ok(counts.disconnected > 0 && counts.reconnecting > 0, JSON.stringify(counts));
    await page.screenshot({ path: join(RESULTS, "dashboard.png") });
  });

  test("a failover URI typed into the field: the dead broker is skipped, the live one serves", async () => {
    const uri =
      "failover:(ws://127.0.0.1:1/ws,ws://127.0.0.1:15674/ws)?randomize=false&startupMaxReconnectAttempts=2";
    const since = await page.evaluate(() => Date.now());
    await page.fill("#uri", uri);
    await page.click("#connect");
    await page.waitForFunction(() => dashboard.state === "connected" && dashboard.subscription !== undefined);
    const state = await page.evaluate(() => ({
      broker: dashboard.broker,
      events: dashboard.events.map((e) => `${e.type} ${e.detail}`),
    }));
    assert.equal(state.broker, "ws://127.0.0.1:15674/ws");
    assert.ok(state.events.some((e) => /^error ws:\/\/127\.0\.0\.1:1\/ws/.test(e)), state.events.join("\n"));
    await pageReceives("return m.headers.origin === 'deno' && m.at > a", since);
    await page.screenshot({ path: join(RESULTS, "dashboard-failover.png") });
  });

  test("wss: Web-STOMP over TLS, the broker's certificate verified against the test CA", async () => {
    const since = await page.evaluate(() => Date.now());
    await page.fill("#uri", WSS);
    await page.click("#connect");
    await page.waitForFunction(
      (uri) =>
        dashboard.state === "connected" && dashboard.broker === uri && dashboard.subscription !== undefined,
      WSS,
    );
    await pageReceives("return m.headers.origin === 'deno' && m.at > a", since);
    const token = `over wss ${randomUUID()}`;
    await page.fill("#text", token);
    await page.click("#send");
    assert.equal((await heard({ text: token })).headers.origin, "page");
    // The control: a Chromium that does not know the test CA refuses the same handshake, so the
    // connection above was verified, not merely encrypted.
    const bare = mkdtempSync(join(tmpdir(), "stompest-chromium-bare-"));
    const stranger = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      env: { ...process.env, HOME: bare },
    });
    try {
      const other = await stranger.newPage();
      // The same TLS endpoint as a page: the navigation error names why the handshake was refused.
      const refused = await other.goto(WSS.replace("wss:", "https:")).then(() => undefined, (e) => e);
      assert.match(String(refused?.message), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await stranger.close();
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
