/**
 * `deno bench bench/client_bench.ts`: what a client costs per message with no broker and no socket,
 * stompest's AsyncStomp beside @stomp/stompjs (the baseline of each group) in one run. Both talk to
 * a null connection that takes every write at once and feeds pre-built MESSAGE chunks, so the
 * figures are the clients' own work: building, encoding and writing a SEND; parsing a MESSAGE,
 * handing it to the application and writing its ACK. Divide by {@link N} for the cost per message.
 *
 * @module
 */

import { Client, type IFrame, type IMessage } from "@stomp/stompjs";
import { AsyncStomp, type StompAsyncSubscription, type StompConnection } from "../mod.ts";

/** Messages per benchmark iteration. */
export const N = 10_000;
const DESTINATION = "/queue/bench.client";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bodies = Array.from({ length: 100 }, (_, i) => String(i).padStart(10, "0") + "x".repeat(90));

/** N MESSAGE frames for subscription `id` as ActiveMQ writes them, cut into 16 KiB chunks. */
function messageChunks(id: string): Uint8Array[] {
  let text = "";
  for (let i = 0; i < N; i++) {
    text += `MESSAGE\ncontent-length:100\nexpires:0\ndestination:${DESTINATION}\nsubscription:${id}\n` +
      `priority:4\nmessage-id:ID\\cbench-1-1\\c1\\c1\\c${i}\npersistent:true\ntimestamp:1795960885382\n` +
      `ack:ID\\cbench-1-5\\c${i}\n\n${bodies[i % 100]}\0\n`;
  }
  const bytes = encoder.encode(text);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 16384) chunks.push(bytes.slice(at, at + 16384));
  return chunks;
}

// ---- stompest over a null connection ------------------------------------------------------

let push!: (bytes: Uint8Array) => void;
let subscriptionId = "";
const connection: StompConnection = {
  readable: new ReadableStream<Uint8Array>({ start: (c) => void (push = (b) => c.enqueue(b)) }),
  messageFramed: false,
  info: "null://bench",
  write(bytes) {
    if (bytes[0] === 0x43 && bytes[1] === 0x4f) push(encoder.encode("CONNECTED\nversion:1.2\n\n\0"));
    else if (bytes[0] === 0x53 && bytes[1] === 0x55) {
      subscriptionId = /\nid:([^\n]*)\n/.exec(decoder.decode(bytes))![1];
    }
    return Promise.resolve();
  },
  close: () => Promise.resolve(),
};
const stompest = new AsyncStomp("tcp://null:1", {
  connector: () => Promise.resolve(connection),
  host: "/",
  versions: ["1.2"],
  heartBeats: [0, 0],
});
await stompest.connect();
const sub: StompAsyncSubscription = await stompest.subscribe(DESTINATION, {}, {
  ack: "client-individual",
  window: N,
});
const stompestChunks = messageChunks(subscriptionId);
const iterator = sub[Symbol.asyncIterator]();

async function stompestPublish(): Promise<void> {
  for (let i = 0; i < N - 1; i++) stompest.send(DESTINATION, bodies[i % 100]);
  await stompest.send(DESTINATION, bodies[0]);
}

async function stompestConsume(): Promise<void> {
  for (const chunk of stompestChunks) push(chunk);
  let last: Promise<void> | undefined;
  for (let i = 0; i < N; i++) {
    const { value: msg } = await iterator.next();
    if (msg.body.length !== 100) throw new Error("stompest: wrong body");
    last = msg.ack();
  }
  await last;
}

// ---- @stomp/stompjs over a null WebSocket -------------------------------------------------

/** The WebSocket surface stompjs uses: answers CONNECT, takes every send at once. */
class NullWebSocket {
  binaryType = "arraybuffer";
  readyState = 0;
  protocol = "v12.stomp";
  url = "ws://null/bench";
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor() {
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }
  send(data: string | Uint8Array): void {
    const text = typeof data === "string" ? data : "";
    if (text.startsWith("CONNECT")) {
      queueMicrotask(() => this.onmessage?.({ data: "CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0" }));
    }
  }
  close(): void {
    this.readyState = 3;
  }
  /** Hands the client one chunk, as a binary WebSocket message. */
  feed(chunk: Uint8Array): void {
    this.onmessage?.({ data: chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) });
  }
}

let socket!: NullWebSocket;
const stompjs = new Client({
  webSocketFactory: () => socket = new NullWebSocket(),
  heartbeatIncoming: 0,
  heartbeatOutgoing: 0,
  reconnectDelay: 0,
  debug: () => {},
});
await new Promise<void>((resolve) => {
  stompjs.onConnect = (_frame: IFrame) => resolve();
  stompjs.activate();
});
let stompjsReceived = 0;
let stompjsDone: (() => void) | undefined;
stompjs.subscribe(DESTINATION, (msg: IMessage) => {
  if (msg.binaryBody.length !== 100) throw new Error("stompjs: wrong body");
  msg.ack();
  if (++stompjsReceived === N) stompjsDone?.();
}, { id: "s", ack: "client-individual" });
const stompjsChunks = messageChunks("s");

function stompjsPublish(): void {
  for (let i = 0; i < N; i++) stompjs.publish({ destination: DESTINATION, body: bodies[i % 100] });
}

async function stompjsConsume(): Promise<void> {
  stompjsReceived = 0;
  const done = new Promise<void>((resolve) => stompjsDone = resolve);
  for (const chunk of stompjsChunks) socket.feed(chunk);
  await done;
}

// ---- the benchmarks -----------------------------------------------------------------------

const publish = { group: `publish ${N} × 100 B`, n: 30, warmup: 5 };
Deno.bench({ ...publish, name: "@stomp/stompjs publish", baseline: true, fn: stompjsPublish });
Deno.bench({ ...publish, name: "stompest send", fn: stompestPublish });

const consume = { group: `consume ${N} × 100 B, client-individual acks`, n: 30, warmup: 5 };
Deno.bench({
  ...consume,
  name: "@stomp/stompjs subscribe callback + ack",
  baseline: true,
  fn: stompjsConsume,
});
Deno.bench({ ...consume, name: "stompest for await + ack", fn: stompestConsume });
