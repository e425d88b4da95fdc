// The live dashboard: one AsyncStomp client over WebSocket-STOMP, a subscription rendered as it
// arrives, the client's status events as the connection panel. Plain ESM: serve.ts hands the
// library's .ts modules to the browser as JavaScript. Query parameters (uri, topic, login,
// passcode, host, heartbeat in ms) override the form's defaults; `window.dashboard` is the page's
// state for scripts and the browser test.
import { AsyncStomp, timerTicker } from "../../browser.ts";
import { defaultTicker } from "../../src/async/worker_ticker.ts";

const KEEP_MESSAGES = 50;
const KEEP_EVENTS = 30;
const RATE_WINDOW_MS = 5000;
const SPARK_POINTS = 120;

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const served = await fetch("/api/config").then((r) => r.ok ? r.json() : {}, () => ({}));
const heartBeat = Number(params.get("heartbeat") ?? 10_000);

for (const name of ["uri", "topic", "login", "passcode", "host"]) {
  const value = params.get(name) ?? served[name];
  if (value !== undefined && value !== null) $(name).value = value;
}
if (!$("uri").value) $("uri").value = "ws://127.0.0.1:15674/ws";
if (!$("topic").value) $("topic").value = "/topic/dashboard";

// Heart-beats run on a Worker in a page (a background tab throttles the page's own timers). The
// wrapper tells listeners of "dashboard:tick" that a heart-beat timer ran: the test waits on it.
const base = defaultTicker();
const ticker = {
  setTimeout: (fn, ms) =>
    base.setTimeout(() => {
      fn();
      dispatchEvent(new Event("dashboard:tick"));
    }, ms),
  clearTimeout: (handle) => base.clearTimeout(handle),
};

const dashboard = {
  state: "idle",
  broker: "",
  version: "",
  connects: 0,
  reconnects: 0,
  total: 0,
  messages: [],
  events: [],
  /** How many events of each type, all told (the list above keeps only the latest). */
  eventCounts: {},
  values: [],
  tickerMode: base.mode ?? "timers",
  client: undefined,
  subscription: undefined,
  lib: { AsyncStomp, timerTicker, ticker },
  start,
  stop,
  publish,
};
globalThis.dashboard = dashboard;

const arrivals = [];

function setState(state) {
  dashboard.state = state;
  $("state").textContent = state;
  $("state").className = `badge ${state}`;
}

function logEvent(type, detail = "") {
  dashboard.events.push({ at: Date.now(), type, detail });
  dashboard.eventCounts[type] = (dashboard.eventCounts[type] ?? 0) + 1;
  if (dashboard.events.length > KEEP_EVENTS) dashboard.events.shift();
  const li = document.createElement("li");
  li.className = type;
  li.append(timeElement(Date.now()), textSpan(`${type} ${detail}`));
  $("events").prepend(li);
  while ($("events").children.length > KEEP_EVENTS) $("events").lastChild.remove();
}

function textSpan(text) {
  const span = document.createElement("span");
  span.className = "text";
  span.textContent = text;
  span.title = text;
  return span;
}

function timeElement(at) {
  const t = document.createElement("time");
  t.textContent = new Date(at).toLocaleTimeString();
  return t;
}

function describeBody(msg) {
  const type = msg.headers["content-type"] ?? "";
  if (type.startsWith("application/json")) {
    try {
      const data = msg.json();
      return data && typeof data.seq === "number"
        ? `#${data.seq}  value=${data.value}`
        : JSON.stringify(data);
    } catch {
      return "(bad JSON)";
    }
  }
  if (type === "" || type.startsWith("text/")) return msg.text();
  const hex = [...msg.body.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  return `binary, ${msg.body.length} bytes: ${hex}${msg.body.length > 16 ? " …" : ""}`;
}

function showMessage(msg) {
  const at = Date.now();
  const origin = msg.headers.origin ?? "?";
  dashboard.total++;
  dashboard.messages.push({ at, generation: msg.generation, headers: msg.headers, body: msg.body });
  if (dashboard.messages.length > KEEP_MESSAGES) dashboard.messages.shift();
  arrivals.push(at);
  if (origin === "deno" && msg.headers["content-type"]?.startsWith("application/json")) {
    try {
      dashboard.values.push(msg.json().value);
      if (dashboard.values.length > SPARK_POINTS) dashboard.values.shift();
      drawSpark();
    } catch { /* shown as "(bad JSON)" in the list */ }
  }
  const li = document.createElement("li");
  const from = document.createElement("span");
  from.className = `origin ${origin}`;
  from.textContent = origin;
  const gen = document.createElement("span");
  gen.className = "gen";
  gen.textContent = `conn ${msg.generation}`;
  li.append(timeElement(at), from, gen, textSpan(describeBody(msg)));
  $("messages").prepend(li);
  while ($("messages").children.length > KEEP_MESSAGES) $("messages").lastChild.remove();
  $("total").textContent = String(dashboard.total);
  updateRate();
}

function updateRate() {
  const now = Date.now();
  while (arrivals.length && arrivals[0] < now - RATE_WINDOW_MS) arrivals.shift();
  $("rate").textContent = (arrivals.length / (RATE_WINDOW_MS / 1000)).toFixed(1);
}

function drawSpark() {
  const canvas = $("spark"), g = canvas.getContext("2d"), v = dashboard.values;
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (v.length < 2) return;
  const lo = Math.min(...v), hi = Math.max(...v), span = hi - lo || 1;
  const x = (i) => (i / (SPARK_POINTS - 1)) * canvas.width;
  const y = (value) => canvas.height - 6 - ((value - lo) / span) * (canvas.height - 12);
  g.beginPath();
  v.forEach((value, i) => i ? g.lineTo(x(i), y(value)) : g.moveTo(x(i), y(value)));
  g.strokeStyle = "#58a6ff";
  g.lineWidth = 2;
  g.stroke();
}

async function watch(client) {
  for await (const e of client.status()) {
    if (dashboard.client !== client) return;
    switch (e.type) {
      case "connecting":
        setState("connecting");
        logEvent(e.type, `${brokerText(e.broker)} (attempt ${e.attempt})`);
        break;
      case "connected":
        dashboard.connects++;
        if (dashboard.connects > 1) dashboard.reconnects++;
        dashboard.broker = brokerText(e.broker);
        dashboard.version = e.version;
        setState("connected");
        logEvent(e.type, `${dashboard.broker} STOMP ${e.version}`);
        break;
      case "reconnecting":
        setState("reconnecting");
        logEvent(e.type, `${brokerText(e.broker)} attempt ${e.attempt} in ${e.delay} ms`);
        break;
      case "disconnected":
        setState("disconnected");
        logEvent(e.type, e.error?.message ?? "");
        break;
      case "heartbeat-timeout":
        logEvent(e.type, `silent for ${e.silence} ms`);
        break;
      case "error":
        logEvent(e.type, e.error.message);
        break;
    }
    $("reconnects").textContent = String(dashboard.reconnects);
    $("version").textContent = dashboard.version || "–";
    $("broker").textContent = dashboard.broker || "–";
  }
}

function brokerText(b) {
  return `${b.protocol}://${b.host}:${b.port}${b.path ?? ""}`;
}

async function start() {
  await stop();
  const topic = $("topic").value.trim();
  let client;
  try {
    client = new AsyncStomp($("uri").value.trim(), {
      login: $("login").value,
      passcode: $("passcode").value,
      host: $("host").value || undefined,
      heartBeats: [heartBeat, heartBeat],
      ticker,
    });
  } catch (error) {
    setState("disconnected");
    return logEvent("error", error.message);
  }
  dashboard.client = client;
  dashboard.connects = dashboard.reconnects = 0;
  $("beats").textContent = heartBeat ? `${heartBeat / 1000} s` : "off";
  $("beats-via").textContent = `heart-beats (${
    dashboard.tickerMode === "worker" ? "Worker" : "page"
  } timers)`;
  watch(client);
  try {
    await client.connect();
    // Subscribed once: after a reconnect the client replays the subscription by itself.
    const sub = await client.subscribe(topic);
    dashboard.subscription = sub;
    logEvent("subscribed", topic);
    for await (const msg of sub) showMessage(msg);
  } catch (error) {
    if (dashboard.client === client) logEvent("error", error.message);
  }
}

async function stop() {
  const client = dashboard.client;
  dashboard.client = dashboard.subscription = undefined;
  if (!client) return;
  await client.disconnect({ timeout: 2000 }).catch(() => {});
  await client.close();
  setState("disconnected");
  logEvent("disconnected", "by the user");
}

/** Publishes to the topic (text or bytes) and waits for the broker's receipt. */
async function publish(body, headers = {}) {
  if (!dashboard.client) throw new Error("not connected");
  await dashboard.client.send($("topic").value.trim(), body, {
    origin: "page",
    "content-type": typeof body === "string" ? "text/plain" : "application/octet-stream",
    ...headers,
  }, { receipt: true });
}

$("settings").addEventListener("submit", (event) => {
  event.preventDefault();
  start();
});
$("disconnect").addEventListener("click", () => stop());
$("publish").addEventListener("submit", (event) => {
  event.preventDefault();
  publish($("text").value).then(
    () => logEvent("published", JSON.stringify($("text").value)),
    (error) => logEvent("error", `publish: ${error.message}`),
  );
});
$("send-binary").addEventListener("click", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  publish(bytes).then(
    () => logEvent("published", "256 binary bytes"),
    (error) => logEvent("error", `publish: ${error.message}`),
  );
});
setInterval(updateRate, 1000);

if (params.get("autoconnect") !== "false") start();
