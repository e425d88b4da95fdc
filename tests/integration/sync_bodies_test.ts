// Bodies through the real brokers: bytes with NULs round-tripped byte-exact (content-length is
// added for the client), 1 MiB bodies, the content-length opt-out, empty bodies.
import assert from "node:assert/strict";
import { uniqueQueue } from "../helpers/brokers.ts";
import { collect, expectMessage, matrix, open, randomBytes } from "./sync_helpers.ts";

const MIB = 1 << 20;

/**
 * Every byte value, NUL runs, a NUL at both ends. (Web-STOMP needs `web_stomp.ws_frame = binary`,
 * which scripts/brokers.sh sets: with text frames RabbitMQ sends bytes that are not UTF-8 as text.)
 */
function nulBody(): Uint8Array {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  return Uint8Array.from([0, ...all, 0, 0, 0, ...all.toReversed(), 0]);
}

matrix("a body with NUL bytes round-trips byte-exact", async (c) => {
  const queue = uniqueQueue("sync-nul");
  const body = nulBody();
  await using client = c.client();
  await open(client, c.version);
  await client.subscribe(queue, {}, "sub");
  await client.send(queue, body, { "content-type": "application/octet-stream" }, "sent");
  const [message] = await collect(client, ["sub", "sent"], 1);
  assert.deepEqual(message.body, body);
  assert.equal(message.headers["content-length"], String(body.length));
  // A string body with a NUL gets its content-length from the UTF-8 bytes too.
  await client.send(queue, "text\0with\0nul ✓");
  assert.equal((await expectMessage(client)).text(), "text\0with\0nul ✓");
  await client.disconnect({ receipt: "bye" });
});

matrix("a 1 MiB body round-trips byte-exact", async (c) => {
  const queue = uniqueQueue("sync-mib");
  const body = randomBytes(MIB);
  await using client = c.client();
  await open(client, c.version);
  await client.subscribe(queue, {}, "sub");
  await client.send(queue, body, {}, "sent");
  const [message] = await collect(client, ["sub", "sent"], 1);
  assert.equal(message.body.length, MIB);
  assert.ok(message.body.every((b, i) => b === body[i]), "1 MiB body differs");
  await client.disconnect({ receipt: "bye" });
});

matrix("content-length opt-out; empty bodies", async (c) => {
  const queue = uniqueQueue("sync-length");
  await using client = c.client();
  await open(client, c.version);
  await client.subscribe(queue, {}, "sub");
  await collect(client, ["sub"], 0);
  await client.send(queue, "no length", { "content-length": false });
  const plain = await expectMessage(client, "no length");
  // ActiveMQ adds content-length only when the SEND had one (then JMS sees a BytesMessage).
  assert.equal(plain.headers["content-length"], c.target.quirks.alwaysContentLength ? "9" : undefined);
  await client.send(queue, "with length");
  assert.equal((await expectMessage(client, "with length")).headers["content-length"], "11");
  await client.send(queue);
  assert.equal((await expectMessage(client, "")).body.length, 0);
  await client.disconnect({ receipt: "bye" });
});
