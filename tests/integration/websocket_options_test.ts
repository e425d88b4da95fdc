// WebSocket options against RabbitMQ Web-STOMP: a user-supplied WebSocket (class or function),
// the subprotocols offered, and maxWebSocketChunkSize splitting big frames over many messages.
import assert from "node:assert/strict";
import { AsyncStomp, Stomp, StompConnectionError, websocketConnector } from "../../mod.ts";
import { brokerTest, RABBITMQ, uniqueQueue } from "../helpers/brokers.ts";

const WAIT = { timeout: 10_000 };

/** A WebSocket that records what it was opened with and the size of every message it sends. */
function recordingWebSocket() {
  const sent: number[] = [];
  const offered: string[][] = [];
  class Recording extends WebSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols);
      offered.push(protocols);
    }
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      sent.push((data as Uint8Array).byteLength ?? 0);
      super.send(data);
    }
  }
  return { Recording, sent, offered };
}

brokerTest(
  "rabbitmq ws: maxWebSocketChunkSize splits a 200 KB frame; the broker reassembles it",
  RABBITMQ.ws,
  async (e) => {
    const { Recording, sent, offered } = recordingWebSocket();
    const client = new AsyncStomp(e.uri, {
      login: e.login,
      passcode: e.passcode,
      host: e.host,
      webSocket: Recording,
      maxWebSocketChunkSize: 4096,
    });
    await client.connect();
    try {
      const queue = uniqueQueue("ws-chunks");
      const sub = await client.subscribe(queue, {}, { receipt: true, ...WAIT });
      const body = new Uint8Array(200_000);
      for (let i = 0; i < body.length; i++) body[i] = 0x41 + (i * 7919) % 26;
      await client.send(queue, body, {}, { receipt: true, ...WAIT });
      const it = sub[Symbol.asyncIterator]();
      const { value } = await it.next();
      assert.deepEqual(value!.body, body);
      assert.ok(sent.every((n) => n <= 4096), `a message over the limit: ${Math.max(...sent)}`);
      assert.ok(sent.filter((n) => n === 4096).length >= 48, `not split: ${sent.length} messages`);
      assert.deepEqual(offered, [["v12.stomp", "v11.stomp", "v10.stomp"]]);
    } finally {
      await client.disconnect(WAIT);
    }
  },
);

brokerTest("rabbitmq ws: without maxWebSocketChunkSize a frame is one message", RABBITMQ.ws, async (e) => {
  const { Recording, sent } = recordingWebSocket();
  const client = new Stomp(e.uri, {
    login: e.login,
    passcode: e.passcode,
    host: e.host,
    webSocket: Recording,
  });
  await client.connect();
  await client.send(uniqueQueue("ws-whole"), new Uint8Array(50_000), {}, "r1");
  assert.equal((await client.receiveFrame(WAIT)).headers["receipt-id"], "r1");
  await client.disconnect({ receipt: "bye", ...WAIT });
  assert.ok(sent.some((n) => n > 50_000), String(sent));
});

brokerTest(
  "rabbitmq ws: subprotocols as configured; a function as the webSocket option",
  RABBITMQ.ws,
  async (e) => {
    const offered: string[][] = [];
    const client = new Stomp(e.uri, {
      login: e.login,
      passcode: e.passcode,
      host: e.host,
      subprotocols: ["v12.stomp"],
      webSocket: (url, protocols) => {
        offered.push(protocols);
        return new WebSocket(url, protocols);
      },
    });
    const connected = await client.connect();
    assert.equal(connected.headers.version, "1.2");
    assert.deepEqual(offered, [["v12.stomp"]]);
    await client.disconnect({ receipt: "bye", ...WAIT });
  },
);

Deno.test("websocket: a runtime without a global WebSocket gets an error that names the webSocket option", async () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, "WebSocket")!;
  Object.defineProperty(globalThis, "WebSocket", { value: undefined, configurable: true, writable: true });
  try {
    const error = await websocketConnector({ protocol: "ws", host: "127.0.0.1", port: 1, path: "/ws" }, {})
      .catch((err) => err);
    assert.ok(error instanceof StompConnectionError);
    assert.match(error.message, /no global WebSocket .*pass the `webSocket` option/);
  } finally {
    Object.defineProperty(globalThis, "WebSocket", saved);
  }
});
