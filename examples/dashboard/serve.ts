/**
 * The live dashboard's server: serves the page and the library's own modules to the browser (each
 * `.ts` source transpiled to JavaScript on request by `deno bundle`, imports kept, so the browser
 * loads the very files the tests run), and runs a Deno client that publishes to the dashboard's
 * topic and records what others (the page) publish there.
 *
 * ```sh
 * deno task dashboard                      # then open http://127.0.0.1:8080/
 * deno task dashboard --port=0 --topic=/topic/demo --interval=250 --uri="failover:(ws://a:15674/ws,wss://b:15673/ws)"
 * ```
 *
 * Options (`--name=value`): `port` (8080; 0 picks a free one), `uri` (the page's default broker
 * and the publisher's, default `ws://127.0.0.1:15674/ws?maxReconnectDelay=2000`), `publisher-uri`,
 * `topic` (`/topic/dashboard`), `interval` (ms between published messages, 1000; 0 publishes
 * nothing), `login`/`passcode` (guest/guest), `host` (`/`). The first line on stdout is
 * `dashboard: http://127.0.0.1:PORT/`.
 *
 * HTTP API (loopback only, for scripts and the browser test): `GET /api/config`; `GET /api/state`;
 * `GET /api/received?header=NAME&value=V` or `?text=T` (with `timeout=ms`, at most 30,000) waits
 * for a message that someone other than this publisher sent to the topic, and answers it as JSON
 * (`headers`, `text`, `base64`), 504 when none came in time; `POST /api/publish?NAME=V...` sends
 * the request body to the topic with those headers (and its content-type) and waits for the
 * broker's receipt.
 *
 * @module
 */

import { AsyncStomp, type StompMessage } from "../../mod.ts";

const ROOT = new URL("../../", import.meta.url);
/** What the server hands out: the page and the library sources the browser entry can reach. */
const SERVED = [/^examples\/dashboard\/[\w.-]+\.(?:html|js|css)$/, /^browser\.ts$/, /^src\/[\w/.-]+\.ts$/];
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  ts: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};
const KEEP = 200;
const MAX_WAIT_MS = 30_000;

const OPTIONS = ["port", "uri", "publisher-uri", "topic", "interval", "login", "passcode", "host"];
for (const arg of Deno.args) {
  const name = /^--([\w-]+)=/.exec(arg)?.[1];
  if (!name || !OPTIONS.includes(name)) {
    throw new TypeError(
      `unknown argument ${JSON.stringify(arg)}: use --name=value with ${OPTIONS.join(", ")}`,
    );
  }
}

function option(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  const given = Deno.args.find((a) => a.startsWith(prefix));
  return given === undefined ? fallback : given.slice(prefix.length);
}

const config = {
  port: Number(option("port", "8080")),
  uri: option("uri", "ws://127.0.0.1:15674/ws?maxReconnectDelay=2000"),
  topic: option("topic", "/topic/dashboard"),
  interval: Number(option("interval", "1000")),
  login: option("login", "guest"),
  host: option("host", "/"),
};
const publisherUri = option("publisher-uri", config.uri);
const passcode = option("passcode", "guest");
for (const [name, value] of Object.entries({ port: config.port, interval: config.interval })) {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`--${name} must be a whole number >= 0`);
}

// ---- the library's modules, transpiled for the browser

const transpiled = new Map<string, { mtime: number; code: string }>();

/** `deno bundle` with imports kept: one module in, the same module as JavaScript out. */
async function transpile(path: string): Promise<string> {
  const file = new URL(path, ROOT);
  const mtime = (await Deno.stat(file)).mtime?.getTime() ?? 0;
  const cached = transpiled.get(path);
  if (cached?.mtime === mtime) return cached.code;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=browser",
      "--format=esm",
      "--inline-imports=false",
      decodeURIComponent(file.pathname),
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!out.success) throw new Error(`deno bundle ${path} failed: ${decode(out.stderr)}`);
  const code = decode(out.stdout);
  transpiled.set(path, { mtime, code });
  return code;
}

async function serveFile(pathname: string): Promise<Response> {
  const path = decodeURIComponent(pathname).replace(/^\/+/, "");
  if (path.split("/").some((part) => part === ".." || part === "") || !SERVED.some((re) => re.test(path))) {
    return new Response("not found\n", { status: 404 });
  }
  const ext = path.slice(path.lastIndexOf(".") + 1);
  try {
    const body = ext === "ts" ? await transpile(path) : await Deno.readFile(new URL(path, ROOT));
    return new Response(body, { headers: { "content-type": TYPES[ext], "cache-control": "no-store" } });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Response("not found\n", { status: 404 });
    console.error(error);
    return new Response(`${error instanceof Error ? error.message : error}\n`, { status: 500 });
  }
}

// ---- the publisher and what it hears from others

interface Heard {
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}
const heard: Heard[] = [];
const listeners = new Set<() => void>();
const stats = { sent: 0, skipped: 0, heard: 0, seq: 0 };
const stop = new AbortController();

const client = new AsyncStomp(publisherUri, {
  login: config.login,
  passcode,
  host: config.host,
  heartBeats: [10_000, 10_000],
});

function hear(msg: StompMessage): void {
  if (msg.headers.origin === "deno") return;
  heard.push({ headers: { ...msg.headers }, body: msg.body });
  if (heard.length > KEEP) heard.shift();
  stats.heard++;
  for (const wake of listeners) wake();
}

/** Connects (retrying until it works: the broker may start after us), subscribes, listens. */
async function runClient(): Promise<void> {
  for (let attempt = 1; !stop.signal.aborted; attempt++) {
    try {
      await client.connect({ signal: stop.signal });
      break;
    } catch (error) {
      console.error(`publisher: connect attempt ${attempt} failed: ${(error as Error).message}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(5000, 250 * attempt));
        stop.signal.addEventListener("abort", done, { once: true });
        function done() {
          clearTimeout(timer);
          stop.signal.removeEventListener("abort", done);
          resolve();
        }
      });
    }
  }
  if (stop.signal.aborted) return;
  console.error(`publisher: connected to ${publisherUri}, publishing to ${config.topic}`);
  (async () => {
    for await (const event of client.status(stop.signal)) {
      if (event.type === "connected" || event.type === "disconnected") {
        console.error(`publisher: ${event.type}`);
      }
    }
  })();
  const sub = await client.subscribe(config.topic, {}, { signal: stop.signal });
  for await (const msg of sub) hear(msg);
}

function publishTick(): void {
  if (!client.connected) {
    stats.skipped++;
    return;
  }
  const seq = ++stats.seq;
  const value = Math.round(50 + 40 * Math.sin(seq / 10) + 10 * Math.random());
  client.send(config.topic, JSON.stringify({ seq, at: Date.now(), value }), {
    origin: "deno",
    "content-type": "application/json",
  }).then(() => stats.sent++, () => stats.skipped++);
}

function matches(h: Heard, query: URLSearchParams): boolean {
  const text = query.get("text"), header = query.get("header");
  if (text !== null && new TextDecoder().decode(h.body) !== text) return false;
  if (header !== null && h.headers[header] !== (query.get("value") ?? h.headers[header])) return false;
  return text !== null || header !== null;
}

function describe(h: Heard): unknown {
  let binary = "";
  for (const byte of h.body) binary += String.fromCharCode(byte);
  return { headers: h.headers, text: new TextDecoder().decode(h.body), base64: btoa(binary) };
}

/** Answers the first heard message that matches, waiting for it at most `timeout` ms. */
async function received(query: URLSearchParams): Promise<Response> {
  if (query.get("text") === null && query.get("header") === null) {
    return Response.json({ error: "give text=... or header=...&value=..." }, { status: 400 });
  }
  const timeout = Math.min(Number(query.get("timeout") ?? 10_000) || 0, MAX_WAIT_MS);
  const gaveUp = AbortSignal.timeout(timeout);
  for (;;) {
    const found = heard.find((h) => matches(h, query));
    if (found) return Response.json(describe(found));
    if (gaveUp.aborted) break;
    await new Promise<void>((resolve) => {
      const wake = () => {
        listeners.delete(wake);
        gaveUp.removeEventListener("abort", wake);
        resolve();
      };
      listeners.add(wake);
      gaveUp.addEventListener("abort", wake);
    });
  }
  return Response.json({ error: `nothing matching within ${timeout} ms` }, { status: 504 });
}

async function publish(request: Request, query: URLSearchParams): Promise<Response> {
  if (!client.connected) return Response.json({ error: "not connected" }, { status: 503 });
  const headers: Record<string, string> = Object.fromEntries(query);
  headers.origin = "deno";
  headers["content-type"] = request.headers.get("content-type") ?? "application/octet-stream";
  try {
    const body = new Uint8Array(await request.arrayBuffer());
    await client.send(config.topic, body, headers, { receipt: true, timeout: 10_000 });
    return Response.json({ ok: true, bytes: body.length });
  } catch (error) {
    return Response.json({ error: (error as Error).message }, { status: 502 });
  }
}

function handle(request: Request): Response | Promise<Response> {
  const url = new URL(request.url);
  switch (url.pathname) {
    case "/":
      return Response.redirect(new URL(`/examples/dashboard/${url.search}`, url), 302);
    case "/examples/dashboard/":
      return serveFile("/examples/dashboard/index.html");
    case "/api/config":
      return Response.json(config);
    case "/api/state":
      return Response.json({ connected: client.connected, ...stats });
    case "/api/received":
      return received(url.searchParams);
    case "/api/publish":
      if (request.method !== "POST") return new Response("POST only\n", { status: 405 });
      return publish(request, url.searchParams);
    default:
      return serveFile(url.pathname);
  }
}

// Fails here, before the URL is printed, when modules cannot be transpiled (and fetches deno
// bundle's esbuild on a first run, so the page's first load is not the one that waits for it).
await transpile("browser.ts");

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: config.port,
  signal: stop.signal,
  onListen: ({ port }) => console.log(`dashboard: http://127.0.0.1:${port}/`),
}, handle);

const ticker = config.interval > 0 ? setInterval(publishTick, config.interval) : undefined;
const running = runClient().catch((error) => console.error(`publisher: ${error.message}`));

const shutdown = () => stop.abort();
Deno.addSignalListener("SIGINT", shutdown);
Deno.addSignalListener("SIGTERM", shutdown);
await new Promise<void>((resolve) => stop.signal.addEventListener("abort", () => resolve(), { once: true }));
clearInterval(ticker);
await client.disconnect({ timeout: 2000 }).catch(() => {});
await client.close();
await running;
await server.finished;
Deno.exit(0);
