// AsyncStomp over TCP, STOMP 1.2, on each broker: 10,000 messages consumed with an async iterator
// and client-individual acks while a second client produces them; none lost, none duplicated, in
// order, and the queue is empty afterwards.
import assert from "node:assert/strict";
import type { StompVersion } from "../../mod.ts";
import { ACTIVEMQ, type BrokerEndpoint, brokerTest, RABBITMQ, uniqueQueue } from "../helpers/brokers.ts";
import { connected, drainToMarker } from "./async_helpers.ts";

const COUNT = 10_000;
const BATCH = 500;
const VERSION: StompVersion = "1.2";

async function produce(endpoint: BrokerEndpoint, queue: string): Promise<void> {
  const producer = await connected(endpoint, VERSION);
  try {
    for (let start = 0; start < COUNT; start += BATCH) {
      const batch = [];
      for (let seq = start; seq < Math.min(start + BATCH, COUNT); seq++) {
        batch.push(producer.send(queue, JSON.stringify({ seq }), { seq }));
      }
      await Promise.all(batch);
    }
    await producer.disconnect(); // its RECEIPT follows every SEND
  } finally {
    await producer.close();
  }
}

function throughput(name: string, endpoint: BrokerEndpoint): void {
  brokerTest(
    `async ${name} tcp: 10,000 messages through an async iterator, acked one by one`,
    endpoint,
    async () => {
      const queue = uniqueQueue("bulk");
      const consumer = await connected(endpoint, VERSION);
      try {
        const sub = await consumer.subscribe(queue, {}, { ack: "client-individual", receipt: true });
        const started = performance.now();
        const producing = produce(endpoint, queue);
        const seen = new Set<number>();
        let next = 0, outOfOrder = 0, redelivered = 0, maxUnacked = 0;
        for await (const msg of sub) {
          const { seq } = msg.json<{ seq: number }>();
          assert.equal(msg.headers.seq, String(seq));
          assert.ok(!seen.has(seq), `duplicate ${seq}`);
          seen.add(seq);
          if (seq !== next) outOfOrder++;
          next = seq + 1;
          if (msg.headers.redelivered === "true") redelivered++;
          maxUnacked = Math.max(maxUnacked, sub.unacked);
          await msg.ack();
          if (seen.size === COUNT) break;
        }
        await producing;
        const seconds = (performance.now() - started) / 1000;
        console.log(
          `${name}: ${COUNT} messages produced and consumed in ${seconds.toFixed(2)} s ` +
            `(${Math.round(COUNT / seconds)} msg/s), at most ${maxUnacked} unacked at once`,
        );
        assert.equal(seen.size, COUNT);
        assert.equal(outOfOrder, 0);
        assert.equal(redelivered, 0);
        assert.ok(maxUnacked <= sub.window, `${maxUnacked} unacked, window ${sub.window}`);
        await consumer.disconnect();
      } finally {
        await consumer.close();
      }
      assert.deepEqual(await drainToMarker(endpoint, VERSION, queue), [], "every message was acked");
    },
  );
}

throughput("rabbitmq", RABBITMQ.tcp);
throughput("activemq", ACTIVEMQ.tcp);
