// AsyncStomp over TCP, STOMP 1.2: the broker goes down in the middle of a stream of persistent
// messages (RabbitMQ: a graceful stop; ActiveMQ: SIGKILL) and comes back. The client reconnects by
// itself (failover URI retrying forever), replays its subscription and consumption carries on:
// nothing is lost, and a message seen twice came back as a redelivery.
import assert from "node:assert/strict";
import type { StompMessage, StompStatusEvent, StompVersion } from "../../mod.ts";
import { ACTIVEMQ, type BrokerEndpoint, brokerTest, RABBITMQ, uniqueQueue } from "../helpers/brokers.ts";
import { client, connected, drainToMarker, foreverUri } from "./async_helpers.ts";

const COUNT = 2000;
const DOWN_AT = 500;
const VERSION: StompVersion = "1.2";
const SCRIPT = new URL("../../scripts/brokers.sh", import.meta.url).pathname;
/** A restart takes RabbitMQ ~5 s, ActiveMQ ~4 s (more after a crash); other engineers may hold the script's lock. */
const STREAM_TIMEOUT_MS = 90_000;

async function brokers(action: "start" | "stop" | "kill", which: "rabbitmq" | "activemq"): Promise<void> {
  const { success, stderr } = await new Deno.Command("bash", {
    args: [SCRIPT, action, which],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`brokers.sh ${action} ${which} failed:\n${new TextDecoder().decode(stderr)}`);
}

async function produce(endpoint: BrokerEndpoint, queue: string): Promise<void> {
  const producer = await connected(endpoint, VERSION);
  try {
    const sends = [];
    for (let seq = 0; seq < COUNT; seq++) {
      sends.push(producer.send(queue, `message ${seq}`, { seq, persistent: "true" }));
    }
    await Promise.all(sends);
    await producer.disconnect(); // its RECEIPT follows every SEND
  } finally {
    await producer.close();
  }
}

function restart(
  which: "rabbitmq" | "activemq",
  endpoint: BrokerEndpoint,
  down: "stop" | "kill",
): void {
  brokerTest(
    `async ${which} tcp: broker ${down === "kill" ? "killed" : "stopped"} and restarted mid-stream, ` +
      "the client reconnects and nothing is lost",
    endpoint,
    async () => {
      const queue = uniqueQueue("restart");
      await produce(endpoint, queue);
      const consumer = client(endpoint, VERSION, { connectTimeout: 2000 }, foreverUri(endpoint, 500));
      const events: StompStatusEvent[] = [];
      const watching = (async () => {
        for await (const e of consumer.status()) events.push(e);
      })();
      let starting: Promise<void> | undefined;
      try {
        await consumer.connect();
        const sub = await consumer.subscribe(queue, {}, {
          ack: "client-individual",
          receipt: true,
          signal: AbortSignal.timeout(STREAM_TIMEOUT_MS),
        });
        const deliveries = new Map<number, StompMessage[]>();
        let downAt = 0, upAt = 0;
        for await (const msg of sub) {
          const seq = Number(msg.headers.seq);
          deliveries.set(seq, [...deliveries.get(seq) ?? [], msg]);
          if (deliveries.size === DOWN_AT && !starting) {
            // Messages are in flight and unacked when the broker goes away.
            await brokers(down, which);
            downAt = performance.now();
            starting = brokers("start", which).then(() => void (upAt = performance.now()));
          }
          await msg.ack();
          if (deliveries.size === COUNT) break;
        }
        const resumedAt = performance.now();
        await starting;
        assert.equal(deliveries.size, COUNT, `only ${deliveries.size} of ${COUNT} messages arrived`);
        const duplicates = [...deliveries.values()].filter((list) => list.length > 1);
        let unflagged = 0;
        for (const list of duplicates) {
          for (const [i, again] of list.entries()) {
            if (i === 0 || again.headers.redelivered === "true") continue;
            // ActiveMQ counts redeliveries in memory: after a crash it hands out what was in flight
            // without the flag. Still never twice on one connection, only after the one that died.
            assert.ok(
              down === "kill" && list.slice(0, i).every((m) => m.generation < again.generation),
              `seq ${again.headers.seq} delivered again without redelivered:true`,
            );
            unflagged++;
          }
        }
        const types = events.map((e) => e.type);
        assert.ok(
          types.includes("disconnected") && types.lastIndexOf("connected") > types.indexOf("disconnected"),
        );
        const generations = new Set([...deliveries.values()].flat().map((m) => m.generation));
        assert.ok(generations.size >= 2, "messages came on more than one connection");
        console.log(
          `${which}: ${COUNT} messages, broker down at #${DOWN_AT}; back ${
            ((upAt - downAt) / 1000).toFixed(1)
          } s ` +
            `after it went down, consumption done ${((resumedAt - downAt) / 1000).toFixed(1)} s after; ` +
            `${duplicates.length} delivered twice (${unflagged} without redelivered:true); ` +
            `${types.filter((t) => t === "reconnecting").length} reconnect attempts`,
        );
        await consumer.disconnect();
      } finally {
        await consumer.close();
        await starting?.catch(() => {});
        await watching;
      }
      assert.deepEqual(await drainToMarker(endpoint, VERSION, queue), [], "every message was acked");
    },
  );
}

restart("rabbitmq", RABBITMQ.tcp, "stop");
restart("activemq", ACTIVEMQ.tcp, "kill");
