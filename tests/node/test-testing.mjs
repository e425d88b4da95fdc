// `stompest/testing` under Node: the in-process broker through its in-memory connector and through
// its node:net listener (the Node testing entry's default), with both clients from the package.

import assert from "node:assert/strict";
import { test } from "node:test";
import { connect, Stomp, StompConnectionError } from "stompest";
import { listenNode, StompTestBroker } from "stompest/testing";

test("testing: the in-memory connector carries an AsyncStomp round trip", async () => {
  const broker = new StompTestBroker({ users: { guest: "guest" } });
  try {
    const client = await connect("tcp://test:1", {
      login: "guest",
      passcode: "guest",
      connector: broker.connector,
    });
    const sub = await client.subscribe("/queue/mem", { ack: "client-individual" });
    await client.send("/queue/mem", "in memory", {}, { receipt: true, timeout: 5000 });
    for await (const msg of sub) {
      assert.equal(msg.text(), "in memory");
      await msg.ack();
      break;
    }
    await client.disconnect({ timeout: 5000 });
    await broker.waitFor("DISCONNECT", { timeout: 5000 });
  } finally {
    await broker.close();
  }
});

test("testing: listen() opens a node:net listener the sync client reaches over TCP", async () => {
  const broker = new StompTestBroker({ users: { guest: "guest" } });
  try {
    const { uri, port } = await broker.listen();
    assert.match(uri, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(port > 0);
    const stomp = new Stomp(uri, { login: "guest", passcode: "guest" });
    await stomp.connect();
    await stomp.subscribe("/queue/tcp");
    broker.publish("/queue/tcp", "over node:net");
    const frame = await stomp.receiveFrame({ timeout: 5000 });
    assert.equal(frame.command, "MESSAGE");
    assert.equal(frame.text(), "over node:net");
    await stomp.disconnect({ receipt: "bye", timeout: 5000 });
    assert.equal(broker.clients.length, 1);
  } finally {
    await broker.close();
  }
});

test("testing: after close() the port refuses connections", async () => {
  const broker = new StompTestBroker();
  const { uri } = await broker.listen();
  await broker.close();
  await assert.rejects(connect(uri, { connectTimeout: 5000 }), (e) => e instanceof StompConnectionError);
});

test("testing: listenNode on a taken port rejects with StompConnectionError", async () => {
  const first = await listenNode({ hostname: "127.0.0.1", port: 0 }, (conn) => conn.close());
  try {
    await assert.rejects(
      listenNode({ hostname: "127.0.0.1", port: first.port }, (conn) => conn.close()),
      (e) => e instanceof StompConnectionError && /EADDRINUSE/.test(e.message),
    );
  } finally {
    await first.close();
  }
});
