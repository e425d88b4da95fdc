// Typed errors from the npm package under Node: refused ports, silent peers, untrusted TLS, and a
// broker's ERROR reply — each one a class the user can `instanceof`, never a hang.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  connect,
  nodeConnector,
  StompConnectionError,
  StompConnectTimeout,
  StompError,
  StompProtocolError,
} from "stompest";
import { ACTIVEMQ, brokerTest, deadPort, RABBITMQ, silentServer } from "./brokers.mjs";

test("a dead port: StompConnectionError naming the broker, caused by ECONNREFUSED", async () => {
  const port = await deadPort();
  const error = await connect(`tcp://127.0.0.1:${port}`, { connectTimeout: 5000 }).then(
    () => assert.fail("connected to a dead port"),
    (e) => e,
  );
  assert.ok(error instanceof StompConnectionError, `${error}`);
  assert.ok(error instanceof StompError);
  // One broker, one attempt: the sequence ends, and its last failure is the cause.
  assert.ok(error instanceof StompConnectTimeout, `${error}`);
  assert.ok(error.cause instanceof StompConnectionError, `${error.cause}`);
  assert.match(error.cause.message, new RegExp(`tcp://127\\.0\\.0\\.1:${port}: cannot connect`));
  assert.equal(error.cause.cause?.code, "ECONNREFUSED");
});

test("nodeConnector on a dead port: a plain StompConnectionError, not a timeout", async () => {
  const port = await deadPort();
  const error = await nodeConnector({ protocol: "tcp", host: "127.0.0.1", port }, { connectTimeout: 5000 })
    .then(() => assert.fail("connected to a dead port"), (e) => e);
  assert.ok(error instanceof StompConnectionError, `${error}`);
  assert.ok(!(error instanceof StompConnectTimeout));
  assert.match(error.message, /cannot connect/);
});

test("nodeConnector refuses ws:// with a StompConnectionError", async () => {
  await assert.rejects(
    nodeConnector({ protocol: "ws", host: "127.0.0.1", port: 1, path: "/" }, {}),
    (e) => e instanceof StompConnectionError && /tcp:\/\/ and ssl:\/\/ only/.test(e.message),
  );
});

test("a peer that never sends CONNECTED: StompConnectTimeout, and the socket is closed", async () => {
  const server = await silentServer();
  try {
    const started = Date.now();
    await assert.rejects(
      connect(`tcp://127.0.0.1:${server.port}`, { connectedTimeout: 300 }),
      (e) => e instanceof StompConnectTimeout,
    );
    assert.ok(Date.now() - started < 5000);
    assert.equal(server.accepted(), 1);
    await server.allClosed();
  } finally {
    await server.close();
  }
});

test("ssl:// to a peer that never answers the handshake: StompConnectTimeout", async () => {
  const server = await silentServer();
  try {
    await assert.rejects(
      nodeConnector({ protocol: "ssl", host: "127.0.0.1", port: server.port }, { connectTimeout: 300 }),
      (e) => e instanceof StompConnectTimeout && /timed out after 300 ms/.test(e.message),
    );
    await assert.rejects(
      connect(`ssl://127.0.0.1:${server.port}`, { connectTimeout: 300 }),
      (e) => e instanceof StompConnectTimeout,
    );
    await server.allClosed();
  } finally {
    await server.close();
  }
});

test("an aborted connect rejects at once", async () => {
  const server = await silentServer();
  try {
    const controller = new AbortController();
    const pending = connect(`tcp://127.0.0.1:${server.port}`, { signal: controller.signal });
    controller.abort(new Error("stop"));
    await assert.rejects(pending, (e) => e instanceof StompError);
  } finally {
    await server.close();
  }
});

brokerTest("TLS without the test CA: a certificate error, not a timeout", RABBITMQ.ssl, async (e) => {
  const { tls: _tls, ...untrusted } = e.options;
  const error = await connect(e.uri, untrusted).then(() => assert.fail("trusted a self-signed CA"), (x) => x);
  assert.ok(error instanceof StompConnectionError, `${error}`);
  const cause = error.cause ?? error;
  assert.ok(cause instanceof StompConnectionError);
  assert.match(cause.message, /certificate/i);
});

brokerTest("TLS with the wrong server name: rejected", ACTIVEMQ.ssl, async (e) => {
  const options = { ...e.options, tls: { ...e.options.tls, hostname: "not-the-broker.example" } };
  const error = await connect(e.uri, options).then(() => assert.fail("accepted a wrong name"), (x) => x);
  assert.ok(error instanceof StompConnectionError, `${error}`);
  assert.match((error.cause ?? error).message, /not-the-broker\.example|altnames|Hostname/i);
});

brokerTest(
  "ActiveMQ, wrong passcode: StompConnectTimeout caused by the StompProtocolError carrying the ERROR frame",
  ACTIVEMQ.tcp,
  async (e) => {
    const timeout = await connect(e.uri, { ...e.options, passcode: "s3cr3t-n0pe" }).then(
      () => assert.fail("logged in with a wrong passcode"),
      (x) => x,
    );
    assert.ok(timeout instanceof StompConnectTimeout, `${timeout}`);
    assert.ok(!String(timeout).includes("s3cr3t-n0pe"), "the passcode is not in the message");
    const error = timeout.cause;
    assert.ok(error instanceof StompProtocolError, `${error}`);
    assert.equal(error.frame.command, "ERROR");
    assert.ok(!String(error).includes("s3cr3t-n0pe"), "the passcode is not in the message");
  },
);
