// AsyncStomp transactions against RabbitMQ and ActiveMQ (TCP, TLS, Web-STOMP; 1.0-1.2): sends and
// acks inside a transaction take effect on COMMIT and never after ABORT. A queue keeps order for one
// consumer, so "the next message is the marker sent after X" proves X was not enqueued before it.
// No receipts on frames inside a transaction: RabbitMQ sends them at COMMIT and never after ABORT.
import assert from "node:assert/strict";
import { uniqueQueue } from "../helpers/brokers.ts";
import { ALL_VERSIONS, connected, drainToMarker, Inbox, individualAck, matrix } from "./async_helpers.ts";

matrix("transaction commit and abort", ALL_VERSIONS, async ({ endpoint, version }) => {
  const queue = uniqueQueue("tx");
  const c = await connected(endpoint, version);
  try {
    const inbox = new Inbox(await c.subscribe(queue, {}, { ack: individualAck(version), receipt: true }));
    const next = async () => {
      const msg = await inbox.next();
      await msg.ack();
      return msg.text();
    };

    // Commit: nothing is enqueued before it.
    const tx = await c.begin(undefined, { receipt: true });
    await c.send(queue, "in tx", { transaction: tx });
    await c.send(queue, "outside", {}, { receipt: true });
    assert.equal(await next(), "outside");
    await c.commit(tx, { receipt: true });
    assert.equal(await next(), "in tx");

    // Abort: never enqueued.
    const aborted = await c.begin(undefined, { receipt: true });
    await c.send(queue, "aborted", { transaction: aborted });
    await c.abort(aborted, { receipt: true });
    await c.send(queue, "after abort", {}, { receipt: true });
    assert.equal(await next(), "after abort");

    // The helper: ABORT when the function throws, COMMIT when it returns.
    const failure = new Error("roll back");
    await assert.rejects(
      c.transaction(async (id) => {
        await c.send(queue, "rolled back", { transaction: id });
        throw failure;
      }, { receipt: true }),
      (e) => e === failure,
    );
    const result = await c.transaction(async (id) => {
      await c.send(queue, "committed", { transaction: id });
      return 42;
    }, { receipt: true });
    assert.equal(result, 42);
    assert.equal(await next(), "committed");

    // An ACK inside a committed transaction settles the message.
    await c.send(queue, "acked in tx", {}, { receipt: true });
    const msg = await inbox.next();
    assert.equal(msg.text(), "acked in tx");
    await c.transaction((id) => msg.ack({ transaction: id }), { receipt: true });
    await c.disconnect();
  } finally {
    await c.close();
  }
  assert.deepEqual(await drainToMarker(endpoint, version, queue), [], "nothing rolled back was enqueued");
});
