// Stomp (sync-style) with StompUnconfirmedSends on the in-process test broker: the caller
// reconnects, the helper resends what no RECEIPT confirmed, marked, with the same publish id.
import assert from "node:assert/strict";
import {
  PUBLISH_ID_HEADER,
  RESEND_HEADER,
  Stomp,
  StompConnectionError,
  StompUnconfirmedSends,
} from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

const QUEUE = "/queue/sync-out";

for (const at of ["before-store", "after-store"] as const) {
  Deno.test(`sync: a receipted send lost ${at} is resent after connect() and confirmed`, async () => {
    await using broker = new StompTestBroker();
    const client = new Stomp("tcp://test:1", {
      login: "guest",
      passcode: "guest",
      connector: broker.connector,
    });
    const sends = new StompUnconfirmedSends(client);
    await client.connect();
    const first = await sends.send(QUEUE, "one", { persistent: "true" });
    assert.equal(sends.confirm(await client.receiveFrame({ timeout: 5000 })), true);
    broker.faults.dropOnSend = { at, nth: 2 }; // "two"
    await sends.send(QUEUE, "two");
    await sends.send(QUEUE, "three").catch(() => {}); // may find the connection gone: still remembered
    await assert.rejects(client.receiveFrame({ timeout: 5000 }), StompConnectionError);
    assert.equal(sends.size, 2);
    await client.connect();
    assert.equal(await sends.resend(), 2);
    for (let i = 0; i < 2; i++) {
      assert.equal(sends.confirm(await client.receiveFrame({ timeout: 5000 })), true);
    }
    assert.equal(sends.size, 0);
    const stored = broker.queue(QUEUE);
    assert.deepEqual(
      stored.map((m) => [m.text(), m.headers[RESEND_HEADER]]),
      [
        ["one", undefined],
        ...(at === "after-store" ? [["two", undefined]] : []),
        ["two", "1"],
        ["three", "1"],
      ],
    );
    const ids = Map.groupBy(stored, (m) => m.headers[PUBLISH_ID_HEADER]);
    assert.equal(ids.size, 3);
    assert.ok(first.startsWith("send-"));
    await client.disconnect();
  });
}

Deno.test("sync: StompUnconfirmedSends refuses transactional sends and ignores frames that are not its RECEIPTs", async () => {
  await using broker = new StompTestBroker();
  const client = new Stomp("tcp://test:1", { connector: broker.connector });
  const sends = new StompUnconfirmedSends(client);
  await client.connect();
  await assert.rejects(sends.send(QUEUE, "x", { transaction: "tx" }), TypeError);
  await client.send(QUEUE, "plain", {}, "mine");
  assert.equal(sends.confirm(await client.receiveFrame({ timeout: 5000 })), false);
  await client.disconnect();
});
