// What every bench worker shares, whatever the runtime (Node or Deno) and client: the scenarios,
// the message bodies and their check, the CPU/RSS meters, and a raw pipelined STOMP socket (the
// ceiling, and the untimed helper that fills and drains queues around a timed run).

import process from "node:process";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Deno or Node: the raw ceiling uses each runtime's own socket. */
export const RUNTIME = globalThis.Deno ? "deno" : "node";

/** The brokers of scripts/brokers.sh. */
export const BROKERS = {
  rabbitmq: { host: "127.0.0.1", port: 61613, vhost: "/" },
  activemq: { host: "127.0.0.1", port: 61623, vhost: "localhost" },
};

const scale = Number(process.env.BENCH_SCALE ?? 1);
const n = (count) => Math.max(10, Math.round(count * scale));

/** The scenarios of issue 13: message count, body size, what is measured. */
export const SCENARIOS = {
  "publish": { count: n(50_000), size: 100, kind: "publish" },
  "publish-persistent": { count: n(50_000), size: 100, kind: "publish", persistent: true },
  "consume-auto": { count: n(50_000), size: 100, kind: "consume", ack: "auto" },
  "consume-client": { count: n(50_000), size: 100, kind: "consume", ack: "client-individual" },
  "consume-client-await": {
    count: n(50_000),
    size: 100,
    kind: "consume",
    ack: "client-individual",
    await: true,
  },
  "produce-consume-1k": { count: n(20_000), size: 1024, kind: "through" },
  // Not scaled down: a p50 over a few hundred round trips on a shared machine says little.
  "ping-pong": { count: Math.max(2_000, n(2_000)), size: 100, kind: "pingpong" },
  "through-1mib": {
    count: Math.max(10, Math.round(200 * Math.min(1, scale * 4))),
    size: 1 << 20,
    kind: "through",
  },
};

/** How many client-individual messages the broker may have outstanding (10 for 1 MiB bodies). */
export const PREFETCH = 1000;

/** A body of `size` bytes: the sequence number in its first 10 bytes, then a pattern of `seq`. */
export function makeBody(seq, size) {
  const bytes = new Uint8Array(size);
  const head = String(seq).padStart(10, "0");
  for (let i = 0; i < 10; i++) bytes[i] = head.charCodeAt(i);
  for (let i = 10; i < size; i++) bytes[i] = 97 + ((i + seq) % 26);
  return bytes;
}

/** The same body as a string (all ASCII). */
export const makeText = (seq, size) => decoder.decode(makeBody(seq, size));

/**
 * Checks one received body (bytes or string) against `expected`: its length, its sequence number
 * and its pattern (every byte for small bodies, a 4 KiB stride and the tail for large ones, so
 * checking costs every client the same and stays small beside the transfer).
 */
export function checkBody(body, expected, size) {
  const text = typeof body === "string";
  const at = text ? (i) => body.charCodeAt(i) : (i) => body[i];
  if (body.length !== size) throw new Error(`message ${expected}: ${body.length} bytes, expected ${size}`);
  let seq = 0;
  for (let i = 0; i < 10; i++) seq = seq * 10 + at(i) - 48;
  if (seq !== expected) {
    throw new Error(`message ${expected}: got sequence ${seq} (lost, duplicated or out of order)`);
  }
  const step = size > 8192 ? 4096 : 1;
  for (let i = 10; i < size; i += step) {
    if (at(i) !== 97 + ((i + seq) % 26)) throw new Error(`message ${seq}: body differs at byte ${i}`);
  }
  if (at(size - 1) !== 97 + ((size - 1 + seq) % 26)) throw new Error(`message ${seq}: body tail differs`);
}

/** A queue of its own for one run. */
export const uniqueQueue = (name) =>
  `/queue/bench.e2e.${name}.${Date.now()}.${Math.floor(Math.random() * 1e9)}`;

/** CPU and wall time of a section. */
export function meter() {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    return { ms: performance.now() - t0, cpuUs: cpu.user + cpu.system };
  };
}

/** Samples RSS every 5 ms; `stop()` returns the peak seen. */
export function rssSampler() {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

// ---- the raw pipelined socket --------------------------------------------------------------

async function rawSocket(host, port) {
  if (RUNTIME === "deno") {
    const conn = await Deno.connect({ hostname: host, port });
    conn.setNoDelay(true);
    let onData = () => {};
    (async () => {
      const buf = new Uint8Array(256 * 1024);
      try {
        for (;;) {
          const got = await conn.read(buf);
          if (got === null) break;
          onData(buf.subarray(0, got));
        }
      } catch { /* closed */ }
    })();
    return {
      write: async (bytes) => {
        for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
      },
      set onData(f) {
        onData = f;
      },
      close: () => {
        try {
          conn.close();
        } catch { /* closed */ }
      },
    };
  }
  const net = await import("node:net");
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let onData = () => {};
  socket.on("data", (chunk) => onData(chunk));
  socket.on("error", () => {});
  return {
    write: (bytes) => new Promise((resolve) => socket.write(bytes, resolve)),
    set onData(f) {
      onData = f;
    },
    close: () => socket.destroy(),
  };
}

/** A frame's wire bytes. */
export function rawFrame(command, headers, body) {
  let head = command + "\n";
  for (const name in headers) head += `${name}:${headers[name]}\n`;
  const h = encoder.encode(head + "\n");
  const b = body === undefined ? new Uint8Array(0) : typeof body === "string" ? encoder.encode(body) : body;
  const out = new Uint8Array(h.length + b.length + 1);
  out.set(h);
  out.set(b, h.length);
  return out;
}

/**
 * A minimal STOMP 1.2 client over the runtime's socket: frames are written as given, incoming
 * frames are cut by content-length (else the NUL) and handed to `onFrame(command, headers, body)`.
 */
export async function rawConnect(broker) {
  const socket = await rawSocket(broker.host, broker.port);
  // Chunks are joined only once the next frame is complete (its length known from its header),
  // so a large body is copied once, not once per chunk.
  let parts = [];
  let held = 0;
  let need = 0;
  let onFrame = () => {};
  socket.onData = (chunk) => {
    parts.push(RUNTIME === "deno" ? chunk.slice() : chunk);
    held += chunk.length;
    if (held < need) return;
    let buf = parts[0];
    if (parts.length > 1) {
      buf = new Uint8Array(held);
      let o = 0;
      for (const p of parts) {
        buf.set(p, o);
        o += p.length;
      }
    }
    need = 0;
    let at = 0;
    for (;;) {
      while (at < buf.length && (buf[at] === 10 || buf[at] === 13)) at++;
      if (at >= buf.length) break;
      const end = indexOfBlank(buf, at);
      if (end < 0) break;
      const lines = decoder.decode(buf.subarray(at, end)).split("\n");
      const command = lines[0];
      const headers = {};
      for (let i = 1; i < lines.length; i++) {
        const colon = lines[i].indexOf(":");
        const name = lines[i].slice(0, colon);
        if (headers[name] === undefined) headers[name] = lines[i].slice(colon + 1);
      }
      const start = end + 2;
      let stop;
      if (headers["content-length"] !== undefined) {
        stop = start + Number(headers["content-length"]);
        if (stop >= buf.length) {
          need = stop + 1 - at;
          break;
        }
      } else {
        stop = buf.indexOf(0, start);
        if (stop < 0) break;
      }
      onFrame(command, headers, buf.subarray(start, stop));
      at = stop + 1;
    }
    parts = at >= buf.length ? [] : [buf.subarray(at)];
    held = buf.length - Math.min(at, buf.length);
  };
  const client = {
    socket,
    set onFrame(f) {
      onFrame = f;
    },
    write: (bytes) => socket.write(bytes),
    /** Sends a frame with a receipt and waits for the RECEIPT. */
    receipt(command = "DISCONNECT", headers = {}, body = undefined) {
      return new Promise((resolve, reject) => {
        const previous = onFrame;
        onFrame = (c, h, b) => {
          if (c === "RECEIPT" && h["receipt-id"] === "rcpt") {
            onFrame = previous;
            resolve();
          } else if (c === "ERROR") reject(new Error(`ERROR: ${h.message}`));
          else previous(c, h, b);
        };
        socket.write(rawFrame(command, { ...headers, receipt: "rcpt" }, body));
      });
    },
    close: () => socket.close(),
  };
  await new Promise((resolve, reject) => {
    onFrame = (command, headers) => command === "CONNECTED" ? resolve() : reject(new Error(headers.message));
    socket.write(rawFrame("CONNECT", {
      "accept-version": "1.2",
      host: broker.vhost,
      login: "guest",
      passcode: "guest",
      "heart-beat": "0,0",
    }));
  });
  onFrame = () => {};
  return client;
}

function indexOfBlank(buf, from) {
  for (let i = buf.indexOf(10, from); i >= 0 && i + 1 < buf.length; i = buf.indexOf(10, i + 1)) {
    if (buf[i + 1] === 10) return i;
  }
  return -1;
}

/** Sends `count` messages pipelined in 64 KiB writes, the last with a receipt, and waits for it. */
export async function rawPublish(client, queue, count, size, extra = {}) {
  const batch = [];
  let bytes = 0;
  const flush = async () => {
    const out = new Uint8Array(bytes);
    let at = 0;
    for (const b of batch) {
      out.set(b, at);
      at += b.length;
    }
    batch.length = 0;
    bytes = 0;
    await client.write(out);
  };
  for (let seq = 0; seq < count - 1; seq++) {
    const body = size > 4096 ? makeBody(seq, size) : makeText(seq, size);
    const frame = rawFrame("SEND", { destination: queue, "content-length": size, ...extra }, body);
    batch.push(frame);
    bytes += frame.length;
    if (bytes >= 65536) await flush();
  }
  if (bytes > 0) await flush();
  const last = count - 1;
  const body = size > 4096 ? makeBody(last, size) : makeText(last, size);
  await client.receipt("SEND", { destination: queue, "content-length": size, ...extra }, body);
}

/** Receives `count` messages (ACKing each for client acks, pipelined), checking each; resolves when done. */
export function rawConsume(client, queue, count, size, ack = "auto") {
  return new Promise((resolve, reject) => {
    let expected = 0;
    let acks = [];
    let queued = false;
    const flushAcks = () => {
      queued = false;
      const out = acks;
      acks = [];
      let total = 0;
      for (const a of out) total += a.length;
      const buf = new Uint8Array(total);
      let at = 0;
      for (const a of out) {
        buf.set(a, at);
        at += a.length;
      }
      client.write(buf);
    };
    client.onFrame = (command, headers, body) => {
      if (command === "ERROR") return reject(new Error(`ERROR: ${headers.message}`));
      if (command !== "MESSAGE") return;
      try {
        checkBody(body, expected++, size);
      } catch (error) {
        reject(error);
      }
      if (ack !== "auto") acks.push(rawFrame("ACK", { id: headers.ack }));
      if (acks.length > 0 && !queued) {
        queued = true;
        queueMicrotask(flushAcks);
      }
      if (expected === count) {
        if (acks.length > 0) flushAcks();
        resolve();
      }
    };
    const window = size > 65536 ? 10 : PREFETCH;
    const prefetch = ack === "auto" ? {} : { "prefetch-count": window, "activemq.prefetchSize": window };
    client.write(rawFrame("SUBSCRIBE", { destination: queue, id: "raw", ack, ...prefetch }));
  });
}

/** Fills `queue` with `count` messages through a raw socket of its own (untimed set-up). */
export async function fill(broker, queue, count, size) {
  const client = await rawConnect(broker);
  try {
    await rawPublish(client, queue, count, size);
  } finally {
    client.close();
  }
}

/** Drains and checks `count` messages (untimed check of a publisher). */
export async function drain(broker, queue, count, size) {
  const client = await rawConnect(broker);
  try {
    await withTimeout(rawConsume(client, queue, count, size, "client-individual"), 120_000, "drain");
    await client.receipt();
  } finally {
    client.close();
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
