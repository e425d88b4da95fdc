// The fault proxy itself (against local echo servers, no broker), and the connectors behind it: closing
// a connection over a dead path must end its read side at once on every transport, or a client that
// declared the broker dead by its heart-beats waits for a closing handshake that never comes.
import assert from "node:assert/strict";
import { denoConnector, denoWebSocketConnector } from "../src/connection/connectors/deno.ts";
import { nodeConnector } from "../src/connection/connectors/node.ts";
import { websocketConnector } from "../src/connection/connectors/websocket.ts";
import type { StompConnection, StompConnector } from "../src/connection/transport.ts";
import { deadline } from "../src/connection/wait.ts";
import type { StompBroker } from "../src/protocol/broker.ts";
import { FaultProxy } from "./helpers/fault_proxy.ts";

const WAIT_MS = 3000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A TCP echo server on loopback; `peers` are the accepted connections, `ended` resolves per EOF read. */
function echoServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const peers: Deno.Conn[] = [];
  let eofs = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      peers.push(conn);
      (async () => {
        try {
          for await (const chunk of conn.readable.pipeThrough(new TransformStream())) {
            await conn.write(chunk);
          }
          eofs++;
        } catch {
          // reset: the test looks at what the client saw
        }
      })();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    peers,
    get eofs() {
      return eofs;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const p of peers) {
        try {
          p.close();
        } catch { /* closed already */ }
      }
      await serving.catch(() => {});
    },
  };
}

/** A WebSocket echo server on loopback (Deno.serve). */
function wsEchoServer() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request, { protocol: "v12.stomp" });
    socket.onmessage = (e) => socket.send(e.data);
    return response;
  });
  return { port: server.addr.port, [Symbol.asyncDispose]: () => server.shutdown() };
}

async function readText(reader: ReadableStreamDefaultReader<Uint8Array>, length: number): Promise<string> {
  let text = "";
  while (text.length < length) {
    const { done, value } = await deadline(reader.read(), { timeout: WAIT_MS }, `reading ${length} bytes`);
    if (done) break;
    text += decoder.decode(value);
  }
  return text;
}

Deno.test("proxy: forwards both ways; a black hole holds everything, heal delivers it in order", async () => {
  await using echo = echoServer();
  await using proxy = await FaultProxy.start({ host: "127.0.0.1", port: echo.port });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const reader = conn.readable.getReader();
  await conn.write(encoder.encode("ping"));
  assert.equal(await readText(reader, 4), "ping");
  proxy.blackHole();
  await conn.write(encoder.encode("held"));
  const pending = reader.read();
  const nothing = await deadline(pending, { timeout: 200 }, "read in a black hole").catch((e) => e);
  assert.ok(nothing instanceof Error, "nothing comes back through a black hole");
  proxy.heal();
  const { value } = await deadline(pending, { timeout: WAIT_MS }, "the held bytes");
  assert.equal(decoder.decode(value) + await readText(reader, 4 - value!.length), "held");
  conn.close();
});

Deno.test("proxy: a new connection in a black hole reaches the server only when healed", async () => {
  await using echo = echoServer();
  await using proxy = await FaultProxy.start({ host: "127.0.0.1", port: echo.port });
  proxy.blackHole("toBroker");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  await conn.write(encoder.encode("early"));
  await deadline(proxy.nextConnection(), { timeout: 10 }, "").catch(() => {});
  assert.equal(echo.peers.length, 0, "no connection to the server yet");
  proxy.heal();
  assert.equal(await readText(conn.readable.getReader(), 5), "early");
  assert.equal(echo.peers.length, 1);
  conn.close();
});

Deno.test("proxy: reset makes both sides see a connection reset", async () => {
  await using echo = echoServer();
  await using proxy = await FaultProxy.start({ host: "127.0.0.1", port: echo.port });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const reader = conn.readable.getReader();
  await conn.write(encoder.encode("x"));
  await readText(reader, 1);
  proxy.reset();
  const error = await deadline(reader.read(), { timeout: WAIT_MS }, "read after reset").catch((e) => e);
  assert.ok(error instanceof Deno.errors.ConnectionReset, String(error));
  assert.equal(proxy.connections, 0);
});

Deno.test("proxy: half-close toward the client is an EOF there while the server side stays open", async () => {
  await using echo = echoServer();
  await using proxy = await FaultProxy.start({ host: "127.0.0.1", port: echo.port });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const reader = conn.readable.getReader();
  await conn.write(encoder.encode("x"));
  await readText(reader, 1);
  proxy.halfClose("toClient");
  const end = await deadline(reader.read(), { timeout: WAIT_MS }, "EOF after half-close");
  assert.equal(end.done, true);
  assert.equal(echo.eofs, 0, "the server saw no end");
  assert.equal(proxy.connections, 1);
});

Deno.test("proxy: latency delays each chunk; a trickle forwards one byte at a time", async () => {
  await using echo = echoServer();
  await using proxy = await FaultProxy.start({ host: "127.0.0.1", port: echo.port });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const reader = conn.readable.getReader();
  proxy.delay(100);
  const sent = performance.now();
  await conn.write(encoder.encode("slow"));
  assert.equal(await readText(reader, 4), "slow");
  assert.ok(performance.now() - sent >= 190, "100 ms each way");
  proxy.heal();
  proxy.trickle(1);
  await conn.write(encoder.encode("abcdef"));
  const chunks: string[] = [];
  while (chunks.join("").length < 6) {
    const { value } = await deadline(reader.read(), { timeout: WAIT_MS }, "trickled byte");
    chunks.push(decoder.decode(value));
  }
  assert.equal(chunks.join(""), "abcdef");
  assert.ok(chunks.length >= 3, `arrived in ${chunks.length} reads`);
  conn.close();
});

Deno.test("proxy: forwards to loopback only", async () => {
  await assert.rejects(FaultProxy.start({ host: "10.0.0.1", port: 61613 }), /loopback only/);
  await assert.rejects(FaultProxy.start({ host: "example.org", port: 61613 }), /loopback only/);
});

const CONNECTORS: ReadonlyArray<[string, StompConnector, "tcp" | "ws"]> = [
  ["deno tcp", denoConnector, "tcp"],
  ["node tcp", nodeConnector, "tcp"],
  ["deno websocket", denoWebSocketConnector, "ws"],
  ["standard websocket", websocketConnector, "ws"],
];

for (const [name, connector, kind] of CONNECTORS) {
  Deno.test(`${name}: close() over a black-holed path ends the read side at once`, async () => {
    await using tcpEcho = echoServer();
    await using wsEcho = wsEchoServer();
    await using proxy = await FaultProxy.start({
      host: "127.0.0.1",
      port: kind === "tcp" ? tcpEcho.port : wsEcho.port,
    });
    const broker: StompBroker = kind === "tcp"
      ? { protocol: "tcp", host: "127.0.0.1", port: proxy.port }
      : { protocol: "ws", host: "127.0.0.1", port: proxy.port, path: "/" };
    const conn: StompConnection = await connector(broker, { connectTimeout: WAIT_MS });
    const reader = conn.readable.getReader();
    await conn.write(encoder.encode("hello"));
    assert.equal(await readText(reader, 5), "hello");
    proxy.blackHole();
    const closing = conn.close();
    // Under the WebSocket close grace (2 s): the end must not wait for the peer.
    const end = await deadline(reader.read(), { timeout: 1000 }, "the read side ending after close()");
    assert.equal(end.done, true);
    await deadline(closing, { timeout: WAIT_MS }, "close() settling");
    await assert.rejects(conn.write(encoder.encode("late")));
  });
}
