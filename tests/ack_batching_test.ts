// Issue 13: the ACKs of the messages of one socket read go out together, not one write each,
// whether a loop acks without awaiting or a handler's ACK follows its return; and the buffers
// behind a subscription stay O(1) per message.
import assert from "node:assert/strict";
import { AsyncStomp, type StompConnection, type StompConnector } from "../mod.ts";
import { Fifo } from "../src/async/fifo.ts";
import { random } from "./helpers/frame_gen.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const N = 200;

/**
 * A broker double: answers CONNECT, and answers the SUBSCRIBE with N MESSAGE frames in one chunk
 * (one socket read). Each write resolves a task later, as a socket write does; every written
 * chunk is recorded.
 */
function oneReadBroker() {
  const writes: string[] = [];
  let acked = 0;
  let allAcked!: () => void;
  const done = new Promise<void>((resolve) => allAcked = resolve);
  const connector: StompConnector = () => {
    let push!: (bytes: Uint8Array) => void;
    const readable = new ReadableStream<Uint8Array>({ start: (c) => void (push = (b) => c.enqueue(b)) });
    const connection: StompConnection = {
      readable,
      messageFramed: false,
      info: "fake://one-read",
      write(bytes) {
        const text = decoder.decode(bytes);
        writes.push(text);
        if (text.startsWith("CONNECT")) push(encoder.encode("CONNECTED\nversion:1.2\n\n\0"));
        const id = /^SUBSCRIBE\n(?:.*\n)*?id:(.*)\n/m.exec(text)?.[1];
        if (id !== undefined) {
          let all = "";
          for (let i = 0; i < N; i++) {
            all += `MESSAGE\nsubscription:${id}\nmessage-id:m${i}\ndestination:/queue/a\nack:a${i}\n\n${i}\0`;
          }
          queueMicrotask(() => push(encoder.encode(all)));
        }
        acked += text.match(/(^|\0)ACK\n/g)?.length ?? 0;
        if (acked === N) allAcked();
        return new Promise((resolve) => setTimeout(resolve, 0));
      },
      close: () => Promise.resolve(),
    };
    return Promise.resolve(connection);
  };
  const ackWrites = () =>
    writes.filter((w) => w.startsWith("ACK\n")).map((w) => w.match(/(^|\0)ACK\n/g)!.length);
  return { connector, done, ackWrites };
}

const options = (connector: StompConnector) => ({
  connector,
  host: "/",
  heartBeats: [0, 0] as [number, number],
});

/** Iterates the N messages, acking each with or without `await`; returns the ACKs per write. */
async function iterate(awaitAck: boolean): Promise<number[]> {
  const broker = oneReadBroker();
  const client = new AsyncStomp("tcp://fake:1", options(broker.connector));
  await client.connect();
  const sub = await client.subscribe("/queue/a", {}, { ack: "client-individual", window: N });
  let n = 0;
  for await (const msg of sub) {
    assert.equal(msg.text(), String(n));
    if (awaitAck) await msg.ack();
    else msg.ack();
    if (++n === N) break;
  }
  await broker.done;
  await client.close();
  return broker.ackWrites();
}

Deno.test("acks: a loop acking without await writes the ACKs of one read together, the first one not alone", async () => {
  const writes = await iterate(false);
  assert.equal(writes.reduce((a, b) => a + b, 0), N);
  assert.ok(writes.length <= 4, `ACKs per write: ${writes.join("+")}`);
  assert.ok(writes[0] > 1, `the first ACK went out alone: ${writes.join("+")}`);
});

Deno.test("acks: `await msg.ack()` resolves once its ACK is written (one write per message)", async () => {
  assert.deepEqual(await iterate(true), Array(N).fill(1));
});

Deno.test("acks: a handler's ACKs do not wait for each other's write", async () => {
  const broker = oneReadBroker();
  const client = new AsyncStomp("tcp://fake:1", options(broker.connector));
  await client.connect();
  let handled = 0;
  await client.subscribe("/queue/a", {}, {
    ack: "client-individual",
    window: N,
    handler: (msg) => {
      assert.equal(msg.text(), String(handled++));
    },
  });
  await broker.done;
  const writes = broker.ackWrites();
  assert.equal(writes.reduce((a, b) => a + b, 0), N);
  assert.ok(writes.length <= 4, `ACKs per write: ${writes.join("+")}`);
  await client.close();
});

Deno.test("Fifo: seeded pushes and shifts match an array's, across the compaction point", () => {
  const next = random(13);
  const fifo = new Fifo<number>();
  const model: number[] = [];
  let counter = 0;
  for (let step = 0; step < 20_000; step++) {
    if (next() < 0.55) {
      fifo.push(counter);
      model.push(counter++);
    } else {
      assert.equal(fifo.shift(), model.shift());
    }
    assert.equal(fifo.length, model.length);
    if (step === 10_000) {
      fifo.clear();
      model.length = 0;
    }
  }
  while (model.length > 0) assert.equal(fifo.shift(), model.shift());
  assert.equal(fifo.shift(), undefined);
});
