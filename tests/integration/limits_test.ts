// A MESSAGE over a lowered body limit, on both brokers and every transport (issue 11 #4): the client
// settles that message alone (NACK with client-individual, skip with client acks), tells the
// application with a `message-too-large` event, keeps its connection, and the message does not come
// back to loop on. The limit is lowered to 1 KiB so the test stays small.
import assert from "node:assert/strict";
import { StompFrameTooLargeError, type StompStatusEvent } from "../../mod.ts";
import { uniqueQueue } from "../helpers/brokers.ts";
import { matrix as syncMatrix, open, TARGETS, WAIT_MS } from "./sync_helpers.ts";
import {
  ALL_VERSIONS,
  connected,
  drainToMarker,
  Inbox,
  individualAck,
  matrix,
  statusUntil,
} from "./async_helpers.ts";

const LIMIT = 1024;
const BIG = "b".repeat(8 * LIMIT);

matrix(
  "a MESSAGE over maxBodyBytes is settled alone, the connection goes on, it does not come back",
  ALL_VERSIONS,
  async (c) => {
    const queue = uniqueQueue("too-large");
    const client = await connected(c.endpoint, c.version, { limits: { maxBodyBytes: LIMIT } });
    const events = client.status();
    const ack = individualAck(c.version);
    try {
      const sub = await client.subscribe(queue, {}, { ack, receipt: true });
      await client.send(queue, BIG, { "x-which": "big" }, { receipt: true });
      await client.send(queue, "small", { "x-which": "small" }, { receipt: true });
      const seen: StompStatusEvent[] = await statusUntil(events, (e) => e.type === "message-too-large");
      const event = seen.at(-1)!;
      assert.ok(event.type === "message-too-large");
      assert.ok(event.error instanceof StompFrameTooLargeError);
      assert.equal(event.error.limit, "maxBodyBytes");
      assert.equal(event.error.frame.headers["x-which"], "big");
      assert.equal(event.nacked, ack === "client-individual");
      const inbox = new Inbox(sub);
      const next = await inbox.next();
      assert.equal(next.text(), "small");
      await next.ack();
      assert.ok(client.connected);
      // status() opens with the client's state (connected here); anything else would be a reconnect or an error.
      const [first, ...rest] = seen;
      assert.deepEqual(first, { type: "state", state: "connected" });
      assert.deepEqual(rest.filter((e) => e.type !== "message-too-large"), [], "no reconnect, no error");
    } finally {
      events.return?.();
      await client.disconnect();
    }
    // Neither NACKed (RabbitMQ with requeue:false, ActiveMQ to its DLQ or dropped) nor skipped-then-
    // covered by the cumulative ACK, the big message is still on the queue for the next consumer.
    assert.deepEqual((await drainToMarker(c.endpoint, c.version, queue)).map((m) => m.text().length), []);
  },
  { needs: ["client-acks"] },
);

syncMatrix("receiveFrame throws the oversized MESSAGE's StompFrameTooLargeError in order", async (c) => {
  const queue = uniqueQueue("sync-too-large");
  await using client = c.client({ limits: { maxBodyBytes: LIMIT } });
  await open(client, c.version);
  await client.subscribe(queue, { ack: individualAck(c.version), id: "s" });
  await client.send(queue, BIG, { "x-which": "big" });
  await client.send(queue, "after", { "x-which": "after" });
  const error = await client.receiveFrame({ timeout: WAIT_MS }).catch((e) => e);
  assert.ok(error instanceof StompFrameTooLargeError, String(error));
  assert.equal(error.frame.headers["x-which"], "big");
  // The application decides; here it consumes (acks) what it cannot take, headers in hand.
  await client.ack(error.frame);
  const after = await client.receiveFrame({ timeout: WAIT_MS });
  assert.equal(after.text(), "after");
  await client.ack(after);
  await client.disconnect({ receipt: "bye" });
  assert.deepEqual(await drainToMarker(c.target.endpoint, c.version, queue), []);
}, { targets: TARGETS.filter((t) => t.name.endsWith("tcp")) });
