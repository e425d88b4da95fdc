// Chaos: one auto-ack subscription whose consumer falls behind while messages pour in, beside another
// subscription on the same client, on both brokers. The slow one must fail alone with a
// StompSlowConsumerError that counts the messages it dropped after the overflow (auto acks: the broker
// counts them delivered, so nothing may vanish uncounted), while the client and the other subscription
// carry on. RabbitMQ answers deliveries that raced the UNSUBSCRIBE with ERROR "Subscription not found":
// that must not end the client.
import assert from "node:assert/strict";
import { deadline, StompSlowConsumerError } from "../../mod.ts";
import { ACTIVEMQ, type BrokerEndpoint, brokerTest, RABBITMQ, uniqueQueue } from "../helpers/brokers.ts";
import { connected, drainToMarker, Inbox, WAIT_MS } from "../integration/async_helpers.ts";
import { EventLog, rejectionGuard } from "./link_helpers.ts";

const SENT = 3000;
const BUFFER = 50;
const OTHER = 20;

async function slowConsumer(endpoint: BrokerEndpoint): Promise<void> {
  const client = await connected(endpoint, "1.2");
  const log = new EventLog(client);
  try {
    const slowQueue = uniqueQueue("chaos-slow"), otherQueue = uniqueQueue("chaos-other");
    const slow = await client.subscribe(slowQueue, {}, { ack: "auto", bufferSize: BUFFER, receipt: true });
    const other = new Inbox(await client.subscribe(otherQueue, {}, { ack: "auto", receipt: true }));
    // Nobody reads the slow subscription while its messages pour in, sent by the same client so that
    // its UNSUBSCRIBE goes out while deliveries are still on their way (RabbitMQ then answers ERROR).
    // The broker handles a connection's frames in order: the last receipt confirms every SEND.
    const sends = Array.from({ length: SENT - 1 }, (_, i) => client.send(slowQueue, `m${i}`));
    sends.push(client.send(slowQueue, `m${SENT - 1}`, {}, { receipt: true }));
    await Promise.all(sends);

    const iterator = slow[Symbol.asyncIterator]();
    let taken = 0;
    let failure: unknown;
    for (;;) {
      try {
        const { done } = await deadline(iterator.next(), { timeout: WAIT_MS }, "the slow subscription");
        if (done) break;
        taken++;
      } catch (error) {
        failure = error;
        break;
      }
    }
    assert.ok(failure instanceof StompSlowConsumerError, String(failure));
    assert.equal(taken, BUFFER, "the buffered messages are handed out before the error");

    // The client and its other subscription carry on.
    assert.equal(client.connected, true, "the client is still connected");
    for (let i = 0; i < OTHER; i++) await client.send(otherQueue, `o${i}`, {}, { receipt: true });
    for (let i = 0; i < OTHER; i++) assert.equal((await other.next()).text(), `o${i}`);

    assert.ok(failure.dropped > 0, "what came after the overflow is counted");
    assert.match(
      failure.message,
      new RegExp(`${failure.dropped} messages? arrived after that, until the broker confirmed`),
    );
    await assert.rejects(slow.closed, StompSlowConsumerError);

    // Every message is accounted for: handed out, counted as dropped, or still queued at the broker.
    // ActiveMQ may also requeue a message it had already written before the UNSUBSCRIBE (auto acks
    // are acked after dispatch): counted twice then, never missing.
    const left = (await drainToMarker(endpoint, "1.2", slowQueue)).length;
    const accounted = () => taken + slow.dropped + left;
    await deadline(
      (async () => {
        // Late ERRORs/MESSAGEs still on their way are counted as they arrive.
        while (accounted() < SENT) await client.send(otherQueue, "tick", {}, { receipt: true });
      })(),
      { timeout: WAIT_MS },
      `accounting (taken ${taken}, dropped ${slow.dropped}, left ${left})`,
    );
    assert.ok(accounted() >= SENT, `taken ${taken} + dropped ${slow.dropped} + left ${left}`);
    assert.ok(failure.dropped <= slow.dropped);
    assert.equal(log.events.filter((e) => e.type === "disconnected").length, 0, "never disconnected");
    console.log(
      `${endpoint.broker}: ${SENT} sent, ${taken} handed out, ${failure.dropped} dropped by the error's count ` +
        `(${slow.dropped} in the end), ${left} left queued; ${
          accounted() - SENT
        } counted twice, 0 unaccounted`,
    );
    await client.disconnect();
  } finally {
    await client.close();
  }
}

for (const endpoint of [RABBITMQ.tcp, ACTIVEMQ.tcp]) {
  brokerTest(
    `chaos ${endpoint.broker}: a slow auto-ack subscription fails alone and counts what it dropped`,
    endpoint,
    async () => {
      using rejections = rejectionGuard();
      await slowConsumer(endpoint);
      rejections.assertNone();
    },
  );
}
