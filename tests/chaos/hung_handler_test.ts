// Chaos: a consumer whose message handler never returns (a deadlocked callback, a request that never
// answers). The client must stay bounded (no more than its window of messages taken from the broker,
// the rest left to other consumers), a graceful disconnect must give up on the handler after its timeout
// instead of hanging, close() must end at once, and the messages it held must come back to another
// consumer: nothing is lost because one handler hung.
import assert from "node:assert/strict";
import { type AsyncStomp, StompCancelledError } from "../../mod.ts";
import { ACTIVEMQ, type BrokerEndpoint, brokerTest, RABBITMQ, uniqueQueue } from "../helpers/brokers.ts";
import { connected } from "../integration/async_helpers.ts";
import { type Guard, guarded } from "./guard.ts";

const WINDOW = 5;
const COUNT = 40;
const WAIT_MS = 10_000;

/** Collects `seq` headers of what a healthy consumer receives (and acks), waking waiters on each. */
class Collector {
  readonly seqs: number[] = [];
  #wake?: () => void;

  add(seq: number): void {
    this.seqs.push(seq);
    this.#wake?.();
  }

  async until(guard: Guard, done: () => boolean, what: string): Promise<void> {
    const started = performance.now();
    while (!done()) {
      await guard.within(
        new Promise<void>((resolve) => this.#wake = resolve),
        Math.max(1, WAIT_MS - (performance.now() - started)),
        what,
      );
    }
  }
}

function hungHandler(which: string, endpoint: BrokerEndpoint, ending: "disconnect" | "close"): void {
  brokerTest(
    `chaos ${which} tcp: a handler that never returns holds at most its window, ${ending}() does not hang, ` +
      "its messages go to another consumer",
    endpoint,
    guarded(60_000, async (guard) => {
      const queue = uniqueQueue("chaos-hung");
      let hungCalls = 0;
      const clients: AsyncStomp[] = [];
      try {
        const hung = await connected(endpoint, "1.2");
        clients.push(hung);
        const sub = await hung.subscribe(queue, {}, {
          window: WINDOW,
          receipt: true,
          handler: () => {
            hungCalls++;
            return new Promise(() => {}); // never settles
          },
        });
        const producer = await connected(endpoint, "1.2");
        clients.push(producer);
        for (let seq = 0; seq < COUNT; seq++) {
          await producer.send(queue, `m ${seq}`, { seq, persistent: "true" }, { receipt: true });
        }

        const helper = await connected(endpoint, "1.2");
        clients.push(helper);
        const got = new Collector();
        await helper.subscribe(queue, {}, {
          receipt: true,
          handler: (msg) => got.add(Number(msg.headers.seq)), // acked when it returns
        });
        await got.until(
          guard,
          () => got.seqs.length >= COUNT - WINDOW,
          `${COUNT - WINDOW} messages on the helper`,
        );
        assert.equal(hungCalls, 1, "one handler call, still running");
        assert.equal(sub.unacked, WINDOW, "the hung consumer holds exactly its window");
        assert.equal(got.seqs.length, COUNT - WINDOW);

        const started = performance.now();
        if (ending === "disconnect") {
          // The handler never finishes: the graceful disconnect gives up after its timeout, with a typed error.
          await assert.rejects(
            guard.within(hung.disconnect({ timeout: 1000 }), 5000, "disconnect"),
            (error) => error instanceof StompCancelledError && /message handlers/.test(error.message),
          );
          await assert.rejects(guard.within(hung.disconnected, 5000, "disconnected"), StompCancelledError);
        } else {
          await guard.within(hung.close(), 1000, "close");
          await guard.within(hung.disconnected, 1000, "disconnected");
        }
        const tookMs = performance.now() - started;
        assert.ok(!hung.connected);
        assert.equal(hungCalls, 1, "no handler call after the end");

        // What the hung consumer held comes back to the other one.
        await got.until(guard, () => new Set(got.seqs).size === COUNT, "every message on the helper");
        assert.deepEqual([...new Set(got.seqs)].sort((a, b) => a - b), [...Array(COUNT).keys()]);
        console.log(
          `${which} ${ending}: ended in ${tookMs.toFixed(0)} ms; ${WINDOW} held messages redelivered`,
        );
      } finally {
        for (const c of clients.reverse()) {
          await guard.within(c.disconnect({ timeout: 1000 }), 5000, "disconnect").catch(() => {});
          await c.close();
        }
      }
    }),
    { sanitizeOps: false, sanitizeResources: false },
  );
}

for (const ending of ["disconnect", "close"] as const) {
  hungHandler("rabbitmq", RABBITMQ.tcp, ending);
  hungHandler("activemq", ACTIVEMQ.tcp, ending);
}
