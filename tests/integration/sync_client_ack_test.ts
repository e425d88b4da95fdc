// `client` acks beside other subscriptions on one connection. The spec makes a `client` ACK cumulative over its
// own subscription; RabbitMQ applies it to every earlier message of the connection, so there the session refuses
// the combination before anything is sent, and on ActiveMQ (which follows the spec) it stays allowed: proved by
// the other subscription's unacked message coming back after the `client` ACK.
import assert from "node:assert/strict";
import { StompProtocolError } from "../../mod.ts";
import { uniqueQueue } from "../helpers/brokers.ts";
import {
  type Case,
  expectMessage,
  expectReceipt,
  individualAck,
  matrix,
  open,
  produce,
  TARGETS,
} from "./sync_helpers.ts";

/** On a new connection, the first message of `queue` is `body`, marked redelivered. */
async function comesBack(c: Case, queue: string, ack: string, body: string): Promise<void> {
  await using again = c.client();
  await open(again, c.version);
  await again.subscribe(queue, { ack, id: "again" });
  assert.equal((await expectMessage(again, body)).headers.redelivered, "true");
}

matrix(
  "a client-ack subscription beside another acking one: refused on RabbitMQ, per subscription on ActiveMQ",
  async (c) => {
    const [qa, qb] = [uniqueQueue("client-ack-a"), uniqueQueue("client-ack-b")];
    const ackB = individualAck(c.version);
    await produce(c, qb, ["b1"]);
    await produce(c, qa, ["a1"]);
    {
      await using consumer = c.client();
      await open(consumer, c.version);
      await consumer.subscribe(qb, { ack: ackB, id: "b" }, "sub-b");
      await expectReceipt(consumer, "sub-b");
      await expectMessage(consumer, "b1");
      const subscribeA = consumer.subscribe(qa, { ack: "client", id: "a" }, "sub-a");
      if (c.target.broker === "rabbitmq") {
        await assert.rejects(subscribeA, (e: unknown) => {
          assert.ok(e instanceof StompProtocolError);
          assert.match(
            e.message,
            /RabbitMQ applies a "client" ACK to every earlier message of the connection/,
          );
          assert.match(e.message, /client-individual/);
          return true;
        });
        // Nothing is remembered (no subscription "a", no receipt awaited) and the connection stays usable.
        assert.equal(consumer.session.subscription("id:a"), undefined);
        assert.ok(consumer.session.subscription("id:b"));
        assert.ok(!consumer.session.receipts.has("sub-a"));
        await consumer.disconnect({ receipt: "bye" });
        return;
      }
      await subscribeA;
      await expectReceipt(consumer, "sub-a");
      const a1 = await expectMessage(consumer, "a1");
      await consumer.ack(a1, "ack-a1");
      await expectReceipt(consumer, "ack-a1");
      await consumer.disconnect({ receipt: "bye" });
    }
    // ActiveMQ acked only subscription a's message: b's comes back, marked redelivered.
    await comesBack(c, qb, ackB, "b1");
  },
  { needs: ["client-acks"] },
);

matrix(
  "on RabbitMQ a client-ack subscription beside auto-ack ones is allowed, and its ACK acks up to the message",
  async (c) => {
    const [qa, qb] = [uniqueQueue("client-auto-a"), uniqueQueue("client-auto-b")];
    await produce(c, qa, ["a1", "a2"]);
    {
      await using consumer = c.client();
      await open(consumer, c.version);
      await consumer.subscribe(qb, { id: "b" }, "sub-b");
      await expectReceipt(consumer, "sub-b");
      await consumer.subscribe(qa, { ack: "client", id: "a" }, "sub-a");
      await expectReceipt(consumer, "sub-a");
      await expectMessage(consumer, "a1");
      const a2 = await expectMessage(consumer, "a2");
      await consumer.ack(a2, "ack-a2");
      await expectReceipt(consumer, "ack-a2");
      await consumer.disconnect({ receipt: "bye" });
    }
    await produce(c, qa, ["marker"]);
    await using again = c.client();
    await open(again, c.version);
    await again.subscribe(qa, { ack: "client", id: "a2" });
    // a1 was covered by the cumulative ACK of a2: the next message is the marker, nothing redelivered.
    const next = await expectMessage(again, "marker");
    assert.notEqual(next.headers.redelivered, "true");
  },
  { needs: ["client-acks"] },
);

matrix(
  "on RabbitMQ an unsubscribed acking subscription still counts: its unacked messages stay on the connection",
  async (c) => {
    const [qa, qb] = [uniqueQueue("client-ended-a"), uniqueQueue("client-ended-b")];
    const ackB = individualAck(c.version);
    await produce(c, qb, ["b1"]);
    {
      await using consumer = c.client();
      await open(consumer, c.version);
      const b = await consumer.subscribe(qb, { ack: ackB, id: "b" }, "sub-b");
      await expectReceipt(consumer, "sub-b");
      await expectMessage(consumer, "b1");
      await consumer.unsubscribe(b, "unsub-b");
      await expectReceipt(consumer, "unsub-b");
      await assert.rejects(
        consumer.subscribe(qa, { ack: "client", id: "a" }),
        (e: unknown) =>
          e instanceof StompProtocolError && /ended: its unacked messages stay outstanding/.test(e.message),
      );
      await consumer.disconnect({ receipt: "bye" });
    }
    // b1 was never acked, and nothing acked it by accident: it comes back.
    await comesBack(c, qb, ackB, "b1");
  },
  { targets: TARGETS.filter((t) => t.broker === "rabbitmq") },
);
