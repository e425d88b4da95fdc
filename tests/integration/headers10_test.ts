// STOMP 1.0 header values the brokers change or drop (issue 11 #8). First the quirks themselves,
// written raw past the session's check and read by a 1.2 consumer, so that the table in
// src/protocol/broker_quirks.ts cannot go stale unnoticed; then the client refusing each such value
// before sending, with the connection left as it was, and passing the values the broker keeps.
import assert from "node:assert/strict";
import { type Stomp, StompConnectionError, StompFrame, StompFrameError } from "../../mod.ts";
import { uniqueQueue } from "../helpers/brokers.ts";
import { eachTarget, expectMessage, open, stomp, type Target, TARGETS, WAIT_MS } from "./sync_helpers.ts";

/** Per broker: values it changes (sent raw → what a 1.2 consumer gets) and values it keeps. */
type Measured = "rabbitmq" | "activemq";
const MEASURED: Record<Measured, { changed: [string, string][]; kept: string[] }> = {
  rabbitmq: {
    changed: [["C:\\new", "C:\new"], ["a\\cb", "a:b"], ["a\\\\b", "a\\b"], ["a\\rb", "a\rb"], [
      "  lead",
      "lead",
    ]],
    kept: ["a:b", "trail  ", "in  side", "héllo ✓"],
  },
  activemq: {
    changed: [["C:\\new", "C:\new"], ["a\\cb", "a:b"], ["a\\\\b", "a\\b"], ["  lead", "lead"], [
      "trail  ",
      "trail",
    ]],
    kept: ["a:b", "a\\tb", "a\\rb", "in  side", "héllo ✓"],
  },
};

/** The brokers measured (stompserver speaks 1.0 only: no 1.1+ client reads what it did). */
const MEASURED_TARGETS = TARGETS.filter((t) => t.broker in MEASURED);

/** A 1.2 consumer on a fresh queue and a 1.0 producer, both connected. */
async function pair(target: Target): Promise<{ queue: string; consumer: Stomp; producer: Stomp }> {
  const queue = uniqueQueue("headers10");
  const consumer = stomp(target, { versions: ["1.2"] });
  await open(consumer, "1.2");
  await consumer.subscribe(queue, { ack: "auto", id: "c" }, "sub");
  await expectReceiptFrame(consumer);
  const producer = stomp(target, { versions: ["1.0"] });
  await open(producer, "1.0");
  return { queue, consumer, producer };
}

async function expectReceiptFrame(client: Stomp): Promise<void> {
  const frame = await client.receiveFrame({ timeout: WAIT_MS });
  assert.equal(frame.command, "RECEIPT", frame.info());
}

eachTarget("1.0 header values: the broker's changes, as the quirks table says", async (target) => {
  const { changed, kept } = MEASURED[target.broker as Measured];
  const { queue, consumer, producer } = await pair(target);
  try {
    const headers: [string, string][] = [["destination", queue]];
    changed.forEach(([raw], i) => headers.push([`x-changed-${i}`, raw]));
    kept.forEach((value, i) => headers.push([`x-kept-${i}`, value]));
    // Raw, past the session: exactly these bytes on the wire.
    await producer.sendFrame(new StompFrame("SEND", headers, "raw", "1.0"));
    const message = await expectMessage(consumer, "raw");
    changed.forEach(([raw, seen], i) =>
      assert.equal(message.headers[`x-changed-${i}`], seen, JSON.stringify(raw))
    );
    kept.forEach((value, i) => assert.equal(message.headers[`x-kept-${i}`], value));
  } finally {
    await producer.close();
    await consumer.close();
  }
}, MEASURED_TARGETS.filter((t) => t.name.endsWith("tcp")));

eachTarget("1.0: RabbitMQ closes the connection on an unknown escape, without an ERROR", async (target) => {
  await using producer = stomp(target, { versions: ["1.0"] });
  await open(producer, "1.0");
  const queue = uniqueQueue("headers10-drop");
  await producer.sendFrame(
    new StompFrame("SEND", { destination: queue, "x-bad": "a\\tb", receipt: "r" }, "x", "1.0"),
  );
  const end = await producer.receiveFrame({ timeout: WAIT_MS }).catch((e) => e);
  assert.ok(end instanceof StompConnectionError, `expected the broker to hang up, got ${end}`);
}, TARGETS.filter((t) => t.name === "rabbitmq tcp"));

eachTarget(
  "1.0: a SEND RabbitMQ drops, then disconnect({ receipt }): rejects (its clean close is no RECEIPT)",
  async (target) => {
    // Issue 11 #7 as found: the broker hangs up on the SEND without an ERROR, cleanly, and never
    // processes the DISCONNECT queued behind it (both go out in one write).
    await using producer = stomp(target, { versions: ["1.0"] });
    await open(producer, "1.0");
    const queue = uniqueQueue("headers10-receipt");
    const sent = producer.sendFrame(
      new StompFrame("SEND", { destination: queue, "x-bad": "a\\tb" }, "x", "1.0"),
    );
    const error = await producer.disconnect({ receipt: "bye", timeout: WAIT_MS }).catch((e) => e);
    await sent;
    assert.ok(error instanceof StompConnectionError, `expected a rejection, got ${error}`);
    assert.match(error.message, /without the RECEIPT for DISCONNECT "bye"/);
  },
  TARGETS.filter((t) => t.name === "rabbitmq tcp"),
);

eachTarget(
  "1.0: a header value the broker would change or drop is refused before sending",
  async (target) => {
    const { changed, kept } = MEASURED[target.broker as Measured];
    const refused = [...changed.map(([raw]) => raw), ...(target.broker === "rabbitmq" ? ["a\\tb"] : [])];
    const { queue, consumer, producer } = await pair(target);
    try {
      for (const value of refused) {
        const error = await producer.send(queue, "refused", { "x-value": value }).catch((e) => e);
        assert.ok(error instanceof StompFrameError, `${JSON.stringify(value)}: ${error}`);
        assert.match(
          error.message,
          /cannot be sent to (RabbitMQ|ActiveMQ) over STOMP 1\.0: .* STOMP 1\.1 or later/,
        );
      }
      // A header name too.
      await assert.rejects(producer.send(queue, "refused", { "x\\cy": "v" }), StompFrameError);
      // Nothing of it went out, the connection is as it was, and what the broker keeps goes through.
      const headers = Object.fromEntries(kept.map((value, i) => [`x-kept-${i}`, value]));
      await producer.send(queue, "kept", headers, "sent");
      await expectReceiptFrame(producer);
      const message = await expectMessage(consumer, "kept");
      kept.forEach((value, i) => assert.equal(message.headers[`x-kept-${i}`], value));
      await producer.disconnect({ receipt: "bye" });
    } finally {
      await producer.close();
      await consumer.close();
    }
  },
  MEASURED_TARGETS,
);

eachTarget("1.1+: the same values are escaped and arrive unchanged", async (target) => {
  const { changed } = MEASURED[target.broker as Measured];
  const queue = uniqueQueue("headers11");
  await using client = stomp(target, { versions: ["1.1"] });
  await open(client, "1.1");
  await client.subscribe(queue, { ack: "auto", id: "c" }, "sub");
  await expectReceiptFrame(client);
  // Spaces at the ends are left out: both brokers trim them in every version (see sync_headers_test).
  const values = changed.map(([raw]) => raw).filter((v) => v.trim() === v);
  await client.send(queue, "escaped", Object.fromEntries(values.map((v, i) => [`x-${i}`, v])));
  const message = await expectMessage(client, "escaped");
  values.forEach((value, i) => assert.equal(message.headers[`x-${i}`], value));
  await client.disconnect({ receipt: "bye" });
}, MEASURED_TARGETS.filter((t) => t.name.endsWith("tcp")));
