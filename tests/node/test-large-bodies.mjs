// Large bodies under Node: every size class around the writer's and parser's thresholds, sent and
// received through the package's Node connector and the test broker's node:net listener, comes back
// byte-identical (the writer hands a body of 64 KiB or more to the socket as it is).

import assert from "node:assert/strict";
import { test } from "node:test";
import { connect } from "stompest";
import { StompTestBroker } from "stompest/testing";

const SIZES = [0, 1, 100, 4095, 4097, 65535, 65536, 65537, 131075, 300000, 1 << 20];

/** mulberry32, as the Deno suite's frame_gen: a failure is reproduced from its seed. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("large bodies: every size class round-trips byte-identical over node:net", async () => {
  const broker = new StompTestBroker({ users: { guest: "guest" } });
  try {
    const { uri } = await broker.listen();
    const client = await connect(uri, { login: "guest", passcode: "guest", connectTimeout: 5000 });
    try {
      const next = random(500);
      const bodies = SIZES.map((size) => Uint8Array.from({ length: size }, () => Math.floor(next() * 256)));
      const sub = await client.subscribe("/queue/large", {}, { ack: "client-individual" });
      await Promise.all(bodies.map((body, i) => client.send("/queue/large", body, { "x-seq": String(i) })));
      let i = 0;
      for await (const msg of sub) {
        assert.equal(msg.headers["x-seq"], String(i));
        assert.equal(msg.body.length, bodies[i].length);
        assert.ok(
          Buffer.from(msg.body).equals(Buffer.from(bodies[i])),
          `body ${i} (${bodies[i].length} bytes)`,
        );
        await msg.ack();
        if (++i === bodies.length) break;
      }
    } finally {
      await client.disconnect({ timeout: 5000 }).finally(() => client.close());
    }
  } finally {
    await broker.close();
  }
});
