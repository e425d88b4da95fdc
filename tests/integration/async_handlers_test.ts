// AsyncStomp handler subscriptions against RabbitMQ and ActiveMQ (TCP, TLS, Web-STOMP; 1.0-1.2):
// a failing handler's message goes to the error destination or comes back on the next connection,
// and a graceful disconnect waits for a slow handler.
import assert from "node:assert/strict";
import { deadline, Deferred, type StompMessage } from "../../mod.ts";
import { uniqueQueue } from "../helpers/brokers.ts";
import {
  ALL_VERSIONS,
  connected,
  drainToMarker,
  Inbox,
  individualAck,
  matrix,
  WAIT_MS,
} from "./async_helpers.ts";

matrix(
  "handler failure sends a copy to the error destination",
  ALL_VERSIONS,
  async ({ broker, endpoint, version }) => {
    const work = uniqueQueue("work"), errors = uniqueQueue("errors");
    // The error queue is watched from another connection, as another process would: on RabbitMQ a
    // `client` ACK (1.0 has no other) covers every earlier message of the connection, of every
    // subscription, so two such subscriptions on one connection get in each other's way.
    const watcher = await connected(endpoint, version);
    const c = await connected(endpoint, version);
    try {
      const errorSub = await watcher.subscribe(errors, {}, { ack: individualAck(version), receipt: true });
      const body = `payload ü ✓ ${version}`;
      const headers = { "x-custom": "kept", "x-ünïcode": "välue ✓", "content-type": "text/plain" };
      await c.send(work, body, headers, { receipt: true });
      const failedIds: string[] = [];
      await c.subscribe(work, {}, {
        handler: (msg) => {
          failedIds.push(msg.id);
          throw new Error(`cannot handle ${msg.text()}\nsecond line`);
        },
        errorDestination: errors,
        receipt: true,
      });
      const inbox = new Inbox(errorSub);
      const copy = await inbox.next();
      await copy.ack();
      assert.equal(failedIds.length, 1);
      assert.equal(copy.text(), body);
      assert.equal(copy.headers["x-custom"], "kept");
      assert.equal(copy.headers["x-ünïcode"], "välue ✓");
      assert.equal(copy.headers["content-type"], "text/plain");
      // RabbitMQ escapes `:` as `\c` in the headers it sends even on 1.0 connections, which have no
      // escapes (so the 1.0 parser rightly keeps the two characters).
      // stompserver splits a header line at its last colon and trims both sides: `a: b` comes back `a:b`.
      const failure = `Error: cannot handle ${body} second line`;
      const asSeen: Partial<Record<typeof broker, string>> = {
        rabbitmq: version === "1.0" ? failure.replaceAll(":", "\\c") : failure,
        stompserver: failure.replace(": ", ":"),
      };
      assert.equal(copy.headers["message-failed"], asSeen[broker] ?? failure);
      assert.equal(copy.destination, errors);
      assert.notEqual(copy.id, failedIds[0], "the copy is a new message");
      assert.ok(c.connected, "an error destination keeps the client connected");
      await c.disconnect();
      await watcher.disconnect();
      assert.deepEqual(await drainToMarker(endpoint, version, work), [], "the original was acked");
    } finally {
      await c.close();
      await watcher.close();
    }
  },
);

matrix(
  "handler failure without an error destination: the message comes back on the next connection",
  ALL_VERSIONS,
  async ({ endpoint, version }) => {
    const work = uniqueQueue("work");
    const c = await connected(endpoint, version);
    const body = `fails ${crypto.randomUUID()}`;
    try {
      await c.send(work, body, { "x-custom": "kept" }, { receipt: true });
      let calls = 0;
      await c.subscribe(work, {}, {
        handler: () => {
          calls++;
          throw new RangeError("handler bug");
        },
      });
      // The client disconnects gracefully, with the handler's error as the reason.
      const reason = await deadline(
        c.disconnected.then(() => undefined, (e) => e),
        { timeout: WAIT_MS },
        "stop",
      );
      assert.ok(reason instanceof RangeError, String(reason));
      assert.equal(reason.message, "handler bug");
      assert.equal(calls, 1);
      assert.equal(c.connected, false);
    } finally {
      await c.close();
    }
    const again = await connected(endpoint, version);
    try {
      const sub = await again.subscribe(work, {}, { ack: individualAck(version) });
      const msg = await new Inbox(sub).next();
      assert.equal(msg.text(), body);
      assert.equal(msg.headers["x-custom"], "kept");
      assert.equal(msg.headers.redelivered, "true");
      await msg.ack({ receipt: true });
      await again.disconnect();
    } finally {
      await again.close();
    }
  },
  { needs: ["client-acks"] },
);

matrix(
  "graceful disconnect waits for a slow handler, acks it, and hands out nothing more",
  ALL_VERSIONS,
  async ({ endpoint, version }) => {
    const work = uniqueQueue("work");
    const c = await connected(endpoint, version);
    try {
      await c.send(work, "first", {}, { receipt: true });
      await c.send(work, "second", {}, { receipt: true });
      const started = new Deferred<StompMessage>();
      const release = new Deferred<void>();
      const events: string[] = [];
      await c.subscribe(work, {}, {
        handler: async (msg) => {
          events.push(`start ${msg.text()}`);
          started.resolve(msg);
          await release.promise;
          events.push(`end ${msg.text()}`);
        },
      });
      const first = await deadline(started.promise, { timeout: WAIT_MS }, "the handler to start");
      assert.equal(first.text(), "first");
      const disconnecting = c.disconnect({ timeout: WAIT_MS }).then(() => events.push("disconnected"));
      // A round trip while disconnecting proves no DISCONNECT went out yet (the broker would not
      // answer after it); handlers may still send, e.g. to forward what they processed.
      await c.send(uniqueQueue("probe"), "probe", {}, { receipt: true });
      events.push("round trip");
      release.resolve();
      await disconnecting;
      assert.deepEqual(events, ["start first", "round trip", "end first", "disconnected"]);
      assert.equal(first.settled, true, "the slow handler's message was acked");
    } finally {
      await c.close();
    }
    // "first" was acked before DISCONNECT; "second" was never handed to the handler and is still there.
    const left = await drainToMarker(endpoint, version, work);
    assert.deepEqual(left.map((m) => m.text()), ["second"]);
  },
  { needs: ["client-acks"] },
);

matrix(
  "onMessageFailed that only logs: every message is handled and acked, the window never stalls",
  ALL_VERSIONS,
  async ({ endpoint, version }) => {
    const work = uniqueQueue("logged");
    const c = await connected(endpoint, version);
    try {
      for (let i = 0; i < 6; i++) await c.send(work, `m${i}`, {}, { receipt: i === 5 });
      const logged: string[] = [];
      const all = new Deferred<void>();
      await c.subscribe(work, {}, {
        window: 2,
        handler: (msg) => {
          throw new Error(`cannot ${msg.text()}`);
        },
        onMessageFailed: (error) => {
          if (logged.push((error as Error).message) === 6) all.resolve();
        },
      });
      await deadline(all.promise, { timeout: WAIT_MS }, "six failures");
      assert.deepEqual(logged, [0, 1, 2, 3, 4, 5].map((i) => `cannot m${i}`));
      await c.disconnect();
    } finally {
      await c.close();
    }
    assert.deepEqual(await drainToMarker(endpoint, version, work), [], "each was acked");
  },
);

matrix(
  "ack: false: a handler that acks its own messages, each once, within the window",
  ALL_VERSIONS,
  async ({ endpoint, version }) => {
    const work = uniqueQueue("self-ack");
    const c = await connected(endpoint, version);
    try {
      for (let i = 0; i < 6; i++) await c.send(work, `m${i}`, {}, { receipt: i === 5 });
      const done = new Deferred<void>();
      let acked = 0;
      await c.subscribe(work, {}, {
        ack: false,
        window: 2,
        handler: async (msg) => {
          // A second ACK for the same delivery would be a connection error on RabbitMQ.
          await msg.ack({ receipt: true });
          if (++acked === 6) done.resolve();
        },
      });
      await deadline(done.promise, { timeout: WAIT_MS }, "six acks");
      assert.equal(c.connected, true);
      await c.disconnect();
    } finally {
      await c.close();
    }
    assert.deepEqual(await drainToMarker(endpoint, version, work), [], "each was acked");
  },
);
