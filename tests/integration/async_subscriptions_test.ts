// AsyncStomp subscriptions against RabbitMQ and ActiveMQ (TCP, TLS, Web-STOMP; 1.0-1.2): leaving
// the loop unsubscribes, a connection dropped underneath is replaced and the subscription replayed,
// and NACK does what each broker does with it.
import assert from "node:assert/strict";
import { type StompMessage, StompProtocolError } from "../../mod.ts";
import { uniqueQueue } from "../helpers/brokers.ts";
import { TappedConnector } from "../helpers/connectors.ts";
import {
  ALL_VERSIONS,
  connected,
  drainToMarker,
  foreverUri,
  Inbox,
  individualAck,
  matrix,
  statusUntil,
  VERSIONS_11_UP,
  WAIT_MS,
} from "./async_helpers.ts";

matrix(
  "leaving the loop unsubscribes: no more deliveries to it",
  ALL_VERSIONS,
  async ({ endpoint, version }) => {
    const queue = uniqueQueue("unsub");
    const c = await connected(endpoint, version);
    try {
      const sub = await c.subscribe(queue, {}, { ack: individualAck(version), receipt: true });
      await c.send(queue, "one", {}, { receipt: true });
      let seen: StompMessage | undefined;
      for await (const msg of sub) {
        seen = msg;
        await msg.ack();
        break;
      }
      assert.equal(seen?.text(), "one");
      assert.equal(sub.ended, true);
      // Were the old subscription still there, the broker would hand "two" to it (unacked, with a
      // prefetch of 100) or share the queue between both; the new one gets it.
      await c.send(queue, "two", {}, { receipt: true });
      // 1.0 has only `client` acks, and RabbitMQ refuses a client subscription after an ended acking one
      // on the same connection (its client ACK would settle what the old one left): auto there.
      const freshAck = version === "1.0" ? "auto" : individualAck(version);
      const fresh = await c.subscribe(queue, {}, { ack: freshAck, receipt: true });
      const inbox = new Inbox(fresh);
      const two = await inbox.next();
      assert.equal(two.text(), "two");
      assert.notEqual(two.headers.redelivered, "true");
      if (freshAck !== "auto") await two.ack();
      await c.send(queue, "three", {}, { receipt: true });
      assert.equal((await inbox.next()).text(), "three");
      assert.equal(sub.buffered, 0);
      await c.disconnect();
    } finally {
      await c.close();
    }
  },
  { needs: ["subscription-ids"] },
);

matrix(
  "a connection dropped underneath: reconnect, replay, unacked redelivered, stale ack ignored",
  ALL_VERSIONS,
  async ({ endpoint, version }) => {
    const queue = uniqueQueue("replay");
    const tap = new TappedConnector();
    const c = await connected(endpoint, version, { connector: tap.connector }, foreverUri(endpoint));
    try {
      const sub = await c.subscribe(queue, { "x-sub": "kept" }, {
        ack: individualAck(version),
        receipt: true,
      });
      const inbox = new Inbox(sub);
      await c.send(queue, "before", {}, { receipt: true });
      const before = await inbox.next();
      assert.equal(before.text(), "before");
      const events = c.status();
      await tap.closeSocket();
      const seen = await statusUntil(events, (e) => e.type === "connected", WAIT_MS);
      assert.deepEqual(seen.map((e) => e.type).filter((t) => t !== "reconnecting"), [
        "state",
        "disconnected",
        "connected",
      ]);
      assert.equal(tap.opened, 2);
      // The ack of a message from the dead connection is not sent: the broker redelivers it anyway.
      await before.ack();
      const again = await inbox.next();
      assert.equal(again.text(), "before");
      assert.equal(again.headers.redelivered, "true");
      assert.equal(again.generation, before.generation + 1);
      await again.ack({ receipt: true });
      await c.send(queue, "after", {}, { receipt: true });
      const after = await inbox.next();
      assert.equal(after.text(), "after");
      await after.ack();
      await c.disconnect();
    } finally {
      await c.close();
    }
    assert.deepEqual(await drainToMarker(endpoint, version, queue), []);
  },
  { needs: ["client-acks"] },
);

matrix(
  "NACK: RabbitMQ requeues unless requeue:false",
  VERSIONS_11_UP,
  async ({ endpoint, version }) => {
    const queue = uniqueQueue("nack");
    const c = await connected(endpoint, version);
    try {
      const inbox = new Inbox(await c.subscribe(queue, {}, { ack: "client-individual", receipt: true }));
      await c.send(queue, "rejected", {}, { receipt: true });
      const first = await inbox.next();
      await first.nack();
      const requeued = await inbox.next();
      assert.equal(requeued.text(), "rejected");
      assert.equal(requeued.headers.redelivered, "true");
      await requeued.nack({ headers: { requeue: "false" }, receipt: true });
      await c.send(queue, "next", {}, { receipt: true });
      const next = await inbox.next();
      assert.equal(next.text(), "next", "requeue:false dropped the message");
      await next.ack();
      await c.disconnect();
    } finally {
      await c.close();
    }
    assert.deepEqual(await drainToMarker(endpoint, version, queue), []);
  },
  { brokers: ["rabbitmq"] },
);

matrix(
  "NACK: ActiveMQ sends a persistent message to ActiveMQ.DLQ",
  VERSIONS_11_UP,
  async ({ endpoint, version }) => {
    const queue = uniqueQueue("nack");
    const tag = crypto.randomUUID();
    const c = await connected(endpoint, version);
    try {
      const inbox = new Inbox(await c.subscribe(queue, {}, { ack: "client-individual", receipt: true }));
      await c.send(queue, "to the DLQ", { persistent: "true", testTag: tag }, { receipt: true });
      const rejected = await inbox.next();
      await rejected.nack({ receipt: true });
      // The DLQ is shared: a selector picks this test's message.
      const dlq = new Inbox(
        await c.subscribe("/queue/ActiveMQ.DLQ", { selector: `testTag = '${tag}'` }, {
          ack: "client-individual",
          receipt: true,
        }),
      );
      const dead = await dlq.next();
      assert.equal(dead.text(), "to the DLQ");
      assert.equal(dead.headers["original-destination"], queue);
      await dead.ack({ receipt: true });
      await c.send(queue, "next", {}, { receipt: true });
      assert.equal((await inbox.next(WAIT_MS)).text(), "next", "the NACKed message is not redelivered");
      await c.disconnect();
    } finally {
      await c.close();
    }
  },
  { brokers: ["activemq"] },
);

matrix(
  "a client-ack subscription beside another acking one is refused on RabbitMQ (its client ACK spans the connection)",
  ALL_VERSIONS,
  async ({ endpoint, version }) => {
    const [qa, qb] = [uniqueQueue("async-client-a"), uniqueQueue("async-client-b")];
    const c = await connected(endpoint, version);
    try {
      const a = await c.subscribe(qa, {}, { ack: "client", receipt: true });
      // In 1.0 a handler subscription acks with `client` too, so it is refused as well.
      await assert.rejects(
        c.subscribe(qb, {}, { handler: () => {}, receipt: true }),
        (e: unknown) => e instanceof StompProtocolError && /client-individual/.test(e.message),
      );
      if (version !== "1.0") {
        await assert.rejects(c.subscribe(qb, {}, { ack: "client-individual" }), StompProtocolError);
      }
      // The refusal left the client connected and the first subscription working.
      await c.send(qa, "still here", {}, { receipt: true });
      const msg = await new Inbox(a).next();
      assert.equal(msg.text(), "still here");
      await msg.ack({ receipt: true });
      await c.subscribe(qb, {}, { receipt: true }); // auto beside client: allowed
    } finally {
      await c.disconnect();
    }
  },
  { brokers: ["rabbitmq"] },
);

matrix(
  "on RabbitMQ a client-ack subscription after leaving an acking loop is refused (the loop's prefetched messages stay unacked)",
  VERSIONS_11_UP,
  async ({ endpoint, version }) => {
    const [qa, qb] = [uniqueQueue("async-ended-a"), uniqueQueue("async-ended-b")];
    const c = await connected(endpoint, version);
    try {
      const b = await c.subscribe(qb, {}, { ack: "client-individual", receipt: true });
      await c.send(qb, "b1", {}, { receipt: true });
      await c.send(qb, "b2", {}, { receipt: true });
      const inbox = new Inbox(b);
      const b1 = await inbox.next();
      assert.equal(b1.text(), "b1");
      await b1.ack({ receipt: true });
      await inbox.close(); // b2 may already be delivered to this connection, unacked
      await assert.rejects(
        c.subscribe(qa, {}, { ack: "client" }),
        (e: unknown) => e instanceof StompProtocolError && /ended/.test(e.message),
      );
    } finally {
      await c.disconnect();
    }
    // b2 was not acked by accident: a new consumer gets it.
    const d = await connected(endpoint, version);
    try {
      const b2 = await new Inbox(await d.subscribe(qb, {}, { ack: "client-individual" })).next();
      assert.equal(b2.text(), "b2");
      await b2.ack();
    } finally {
      await d.disconnect();
    }
  },
  { brokers: ["rabbitmq"] },
);
