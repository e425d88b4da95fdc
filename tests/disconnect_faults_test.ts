// disconnect() where the connection fails under it, on both clients, against the in-process broker:
// no unhandled promise rejection (issue 11 #2), and a receipt that resolves on the RECEIPT only (#7).
import assert from "node:assert/strict";
import {
  AsyncStomp,
  Stomp,
  type StompConnection,
  StompConnectionError,
  type StompConnector,
  StompProtocolError,
} from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

const DISCONNECT = new TextEncoder().encode("DISCONNECT");

/** A connector over the test broker whose newest connection a test can break in the two ways below. */
class Breakable {
  /** Writes reject from now on (a socket that just failed, not yet seen by the read side). */
  failWrites = false;
  /** After a DISCONNECT was written, the broker's answer is dropped and the stream ends cleanly. */
  swallowAfterDisconnect = false;
  constructor(readonly base: StompConnector) {}

  readonly connector: StompConnector = async (broker, options) => {
    const real = await this.base(broker, options);
    let disconnected = false;
    const reader = real.readable.getReader();
    const readable = new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done || (disconnected && this.swallowAfterDisconnect)) {
          c.close();
          await real.close();
        } else c.enqueue(value!);
      },
    }, { highWaterMark: 0 });
    const wrapped: StompConnection = {
      readable,
      messageFramed: real.messageFramed,
      info: real.info,
      write: async (bytes) => {
        if (this.failWrites) throw new Error("simulated write failure (EPIPE)");
        if (DISCONNECT.every((b, i) => bytes[i] === b)) disconnected = true;
        await real.write(bytes);
      },
      close: () => real.close(),
    };
    return wrapped;
  };
}

/** Runs `fn` with an `unhandledrejection` listener: any rejection nobody handled fails the test. */
async function noUnhandledRejection(fn: () => Promise<void>): Promise<void> {
  const unhandled: unknown[] = [];
  const listener = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    unhandled.push(event.reason);
  };
  globalThis.addEventListener("unhandledrejection", listener);
  try {
    await fn();
    // The event fires after the microtask queue drained: give the loop two turns to deliver it.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  } finally {
    globalThis.removeEventListener("unhandledrejection", listener);
  }
  assert.deepEqual(unhandled.map(String), [], "unhandled promise rejections");
}

const options = (b: Breakable) => ({ login: "guest", passcode: "guest", connector: b.connector });

/** An async client (no reconnect) whose connection's writes fail from now on. */
async function asyncWithFailingWrites(broker: StompTestBroker): Promise<AsyncStomp> {
  const b = new Breakable(broker.connector);
  const client = new AsyncStomp("tcp://test:1", { ...options(b), reconnect: false });
  await client.connect();
  b.failWrites = true;
  return client;
}

Deno.test("async disconnect() on a connection whose writes just failed: rejects, no unhandled rejection", async () => {
  await using broker = new StompTestBroker();
  await noUnhandledRejection(async () => {
    const client = await asyncWithFailingWrites(broker);
    const error = await client.disconnect({ receipt: true }).catch((e) => e);
    assert.ok(error instanceof StompConnectionError, String(error));
    await assert.rejects(client.disconnected, StompConnectionError);
    await client.close();
  });
});

Deno.test("sync disconnect() on a connection whose writes just failed: rejects, no unhandled rejection", async () => {
  await using broker = new StompTestBroker();
  await noUnhandledRejection(async () => {
    const b = new Breakable(broker.connector);
    const client = new Stomp("tcp://test:1", options(b));
    await client.connect();
    b.failWrites = true;
    await assert.rejects(client.disconnect({ receipt: "bye" }), StompConnectionError);
    await client.close();
  });
});

Deno.test("async disconnect({ receipt }): a clean close without the RECEIPT rejects", async () => {
  await using broker = new StompTestBroker();
  await noUnhandledRejection(async () => {
    const b = new Breakable(broker.connector);
    const client = new AsyncStomp("tcp://test:1", { ...options(b), reconnect: false });
    await client.connect();
    b.swallowAfterDisconnect = true;
    const error = await client.disconnect({ receipt: "bye", timeout: 5000 }).catch((e) => e);
    assert.ok(error instanceof StompConnectionError, String(error));
    assert.match(error.message, /closed the connection without the RECEIPT for DISCONNECT "bye"/);
    await assert.rejects(client.disconnected, StompConnectionError);
  });
});

Deno.test("sync disconnect({ receipt }): a clean close without the RECEIPT rejects", async () => {
  await using broker = new StompTestBroker();
  await noUnhandledRejection(async () => {
    const b = new Breakable(broker.connector);
    const client = new Stomp("tcp://test:1", options(b));
    await client.connect();
    b.swallowAfterDisconnect = true;
    const error = await client.disconnect({ receipt: "bye", timeout: 5000 }).catch((e) => e);
    assert.ok(error instanceof StompConnectionError, String(error));
    assert.match(error.message, /closed the connection without the RECEIPT for DISCONNECT "bye"/);
  });
});

Deno.test("disconnect({ receipt }) still resolves on the RECEIPT (both clients)", async () => {
  await using broker = new StompTestBroker();
  await noUnhandledRejection(async () => {
    const b = new Breakable(broker.connector);
    const a = new AsyncStomp("tcp://test:1", options(b));
    await a.connect();
    await a.disconnect({ receipt: "bye-async" });
    await a.disconnected;
    const s = new Stomp("tcp://test:1", options(b));
    await s.connect();
    await s.disconnect({ receipt: "bye-sync" });
  });
});

Deno.test("a connection that opens after its timeout and then fails to close: no unhandled rejection", async () => {
  await noUnhandledRejection(async () => {
    let opened!: () => void;
    const closed = new Promise<void>((resolve) => opened = resolve);
    const late: StompConnector = () =>
      new Promise((resolve) =>
        setTimeout(() => {
          resolve({
            readable: new ReadableStream(),
            messageFramed: false,
            info: "late",
            write: () => Promise.resolve(),
            close: () => {
              opened();
              return Promise.reject(new Error("close failed"));
            },
          });
        }, 50)
      );
    const client = new AsyncStomp("tcp://late:1", { connector: late, connectTimeout: 10 });
    await assert.rejects(client.connect(), StompConnectionError);
    await closed; // the late connection was closed, and its failure went nowhere
  });
});

Deno.test("async send(): a failing write ends the connection; fire-and-forget sends leave no unhandled rejection", async () => {
  await using broker = new StompTestBroker();
  await noUnhandledRejection(async () => {
    const client = await asyncWithFailingWrites(broker);
    for (let i = 0; i < 100; i++) client.send("/queue/ff", `m${i}`);
    await assert.rejects(client.send("/queue/ff", "awaited"), StompConnectionError);
    // The failed write is the connection's end: no waiting for a heart-beat timeout.
    await assert.rejects(client.disconnected, StompConnectionError);
    await client.close();
  });
  // A bad argument is a rejected promise, not a throw out of send().
  const client = new AsyncStomp("tcp://test:1", {
    login: "guest",
    passcode: "guest",
    connector: broker.connector,
  });
  await client.connect();
  const sent = client.send("/queue/ff", "x", {}, { receipt: "" as never });
  assert.ok(sent instanceof Promise);
  await assert.rejects(sent, StompProtocolError);
  await client.disconnect();
});

/** A message delivered to a client-individual subscription of an async client over `b`. */
async function oneMessage(broker: StompTestBroker) {
  const b = new Breakable(broker.connector);
  const client = new AsyncStomp("tcp://test:1", { ...options(b), reconnect: false });
  await client.connect();
  const sub = await client.subscribe("/queue/acked", {}, { ack: "client-individual" });
  await client.send("/queue/acked", "m", {}, { receipt: true });
  const { value: msg } = await sub[Symbol.asyncIterator]().next();
  return { b, client, msg: msg! };
}

Deno.test("async ack() whose write fails resolves (the broker redelivers); with a receipt it rejects", async () => {
  await using broker = new StompTestBroker();
  await noUnhandledRejection(async () => {
    const plain = await oneMessage(broker);
    plain.b.failWrites = true;
    await plain.msg.ack(); // resolves: the loss is the client's, reported as its end
    await assert.rejects(plain.client.disconnected, StompConnectionError);
    await plain.client.close();

    const receipted = await oneMessage(broker);
    receipted.b.failWrites = true;
    await assert.rejects(receipted.msg.ack({ receipt: true, timeout: 5000 }), StompConnectionError);
    await receipted.client.close();
  });
});
