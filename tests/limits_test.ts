// Parser limits set from the client options (issue 14 "Limits") and a MESSAGE over them as a failure of
// that one message (issue 11 #4), against the in-process broker. The real brokers: tests/integration/
// limits_test.ts.
import assert from "node:assert/strict";
import {
  AsyncStomp,
  DEFAULT_PARSER_LIMITS,
  HEADER_ROOM_BYTES,
  Stomp,
  StompConfig,
  StompConnectionError,
  StompFrameError,
  StompFrameTooLargeError,
} from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { statusUntil } from "./helpers/status.ts";

const WAIT_MS = 5000;

const options = (broker: StompTestBroker) => ({
  login: "guest",
  passcode: "guest",
  connector: broker.connector,
});

Deno.test("config: limits are settable, raised or lowered, completed consistently and checked", () => {
  assert.deepEqual(new StompConfig("tcp://h:1").limits, DEFAULT_PARSER_LIMITS);
  const raised = new StompConfig("tcp://h:1", { limits: { maxBodyBytes: 256 << 20 } });
  assert.equal(raised.limits.maxFrameBytes, (256 << 20) + HEADER_ROOM_BYTES);
  const lowered = new StompConfig("tcp://h:1", { limits: { maxFrameBytes: 4096, maxHeaderLines: 20 } });
  assert.deepEqual(lowered.limits, {
    maxFrameBytes: 4096,
    maxBodyBytes: 4096,
    maxHeaderLines: 20,
    maxHeaderLineBytes: DEFAULT_PARSER_LIMITS.maxHeaderLineBytes,
  });
  assert.deepEqual(JSON.parse(JSON.stringify(lowered)).limits, lowered.limits);
  assert.throws(
    () => new StompConfig("tcp://h:1", { limits: { maxFrameBytes: 10, maxBodyBytes: 20 } }),
    /option limits: parser limit maxFrameBytes \(10\) is below maxBodyBytes \(20\)/,
  );
  assert.throws(() => new StompConfig("tcp://h:1", { limits: { maxBodyBytes: -5 } }), TypeError);
});

Deno.test("async: a MESSAGE over maxBodyBytes (client-individual) is NACKed alone; the connection goes on", async () => {
  await using broker = new StompTestBroker();
  const client = new AsyncStomp("tcp://test:1", { ...options(broker), limits: { maxBodyBytes: 1024 } });
  const events = client.status();
  await client.connect();
  const sub = await client.subscribe("/queue/big", {}, { ack: "client-individual" });
  broker.publish("/queue/big", "x".repeat(4096), { "x-order": "1" });
  broker.publish("/queue/big", "small", { "x-order": "2" });
  const seen = await statusUntil(events, (e) => e.type === "message-too-large");
  const event = seen.at(-1)!;
  assert.ok(event.type === "message-too-large");
  assert.equal(event.nacked, true);
  assert.ok(event.error instanceof StompFrameTooLargeError);
  assert.equal(event.error.limit, "maxBodyBytes");
  assert.equal(event.error.bodyBytes, 4096);
  assert.equal(event.error.frame.headers["x-order"], "1");
  assert.match(event.error.message, /content-length 4096 exceeds 1024 bytes \(maxBodyBytes\)/);
  const nack = await broker.waitFor("NACK", { timeout: WAIT_MS });
  assert.equal(nack.frame.headers.id, event.error.frame.headers.ack);
  // The next message arrives on the same connection: nothing was lost and nothing reconnected.
  const iterator = sub[Symbol.asyncIterator]();
  const next = await iterator.next();
  assert.equal(next.value?.text(), "small");
  await next.value?.ack();
  assert.equal(broker.connections, 1);
  assert.ok(!seen.some((e) => e.type === "disconnected"), seen.map((e) => e.type).join(","));
  await client.disconnect();
});

Deno.test("async: an oversized MESSAGE with client or auto acks is skipped with the event, never NACKed", async () => {
  await using broker = new StompTestBroker();
  for (const ack of ["client", "auto"] as const) {
    const client = new AsyncStomp("tcp://test:1", { ...options(broker), limits: { maxFrameBytes: 2048 } });
    const events = client.status();
    await client.connect();
    const queue = `/queue/big-${ack}`;
    const sub = await client.subscribe(queue, {}, { ack });
    broker.publish(queue, "y".repeat(3000), { "content-length": false });
    broker.publish(queue, "after");
    const seen = await statusUntil(events, (e) => e.type === "message-too-large");
    const event = seen.at(-1)!;
    assert.ok(event.type === "message-too-large" && !event.nacked, ack);
    assert.equal(event.error.limit, "maxBodyBytes", "the frame limit alone binds the body too");
    const next = await sub[Symbol.asyncIterator]().next();
    assert.equal(next.value?.text(), "after");
    await next.value?.ack();
    await client.disconnect();
    assert.ok(!broker.frames.some((f) => f.frame.command === "NACK"), ack);
  }
});

Deno.test("async: any other frame over a limit fails the connection with a StompFrameError naming it", async () => {
  await using broker = new StompTestBroker();
  const client = new AsyncStomp("tcp://test:1", {
    ...options(broker),
    reconnect: false,
    limits: { maxHeaderLineBytes: 64 },
  });
  const events = client.status();
  await client.connect();
  await client.subscribe("/queue/long-header");
  broker.publish("/queue/long-header", "x", { "x-long": "h".repeat(200) });
  const seen = await statusUntil(events, (e) => e.type === "disconnected");
  const error = seen.find((e) => e.type === "error");
  assert.ok(
    error?.type === "error" && error.error instanceof StompFrameError,
    seen.map((e) => e.type).join(),
  );
  assert.equal(error.error.limit, "maxHeaderLineBytes");
  const end = seen.at(-1)!;
  assert.ok(end.type === "disconnected" && end.error instanceof StompConnectionError);
  assert.match(end.error.message, /bad frame from the broker: .*\(maxHeaderLineBytes\)/);
  await assert.rejects(client.disconnected, StompConnectionError);
});

Deno.test("sync: receiveFrame throws the oversized MESSAGE's StompFrameTooLargeError in order; nack(error.frame)", async () => {
  await using broker = new StompTestBroker();
  const client = new Stomp("tcp://test:1", { ...options(broker), limits: { maxBodyBytes: 100 } });
  await client.connect();
  await client.subscribe("/queue/s", { ack: "client-individual" });
  broker.publish("/queue/s", "first");
  broker.publish("/queue/s", "z".repeat(500), { "x-n": "big" });
  broker.publish("/queue/s", "third");
  const first = await client.receiveFrame({ timeout: WAIT_MS });
  assert.equal(first.text(), "first");
  await client.ack(first);
  const error = await client.receiveFrame({ timeout: WAIT_MS }).catch((e) => e);
  assert.ok(error instanceof StompFrameTooLargeError, String(error));
  assert.equal(error.frame.headers["x-n"], "big");
  await client.nack(error.frame);
  await broker.waitFor("NACK", { timeout: WAIT_MS });
  const third = await client.receiveFrame({ timeout: WAIT_MS });
  assert.equal(third.text(), "third");
  await client.ack(third);
  await client.disconnect({ receipt: "bye" });
});
