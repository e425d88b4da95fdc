// Chaos: the first broker of a failover URI is broken when the client starts — it refuses the
// connection, accepts it and stays silent, or answers CONNECT with ERROR — and a real broker is listed
// after it. With the defaults (randomize on, startupMaxReconnectAttempts=0: one attempt, a pass over
// every broker) and with retries forever, connect() must land on the real broker; with only broken
// brokers it must give up with a StompConnectTimeout naming each one's failure and keeping the ERROR.
import assert from "node:assert/strict";
import { connect, StompConnectTimeout, StompProtocolError } from "../../mod.ts";
import { StompTestBroker } from "../../src/testing/mod.ts";
import { ACTIVEMQ, type BrokerEndpoint, brokerTest, RABBITMQ, uniqueQueue } from "../helpers/brokers.ts";
import { brokerConnector } from "../helpers/connectors.ts";
import { deadPort } from "../integration/sync_helpers.ts";
import { EventLog, rejectionGuard } from "./link_helpers.ts";

/** The silent broker costs this much per pass; a live one (on a busy CI machine) answers well within it. */
const CONNECTED_TIMEOUT = 1500;
const WAIT_MS = 5000;

type Broken = "refused" | "silent" | "ERROR";
const BROKEN: readonly Broken[] = ["refused", "silent", "ERROR"];

/** A loopback broker that is broken the given way; its URI and its cleanup. */
async function brokenBroker(kind: Broken): Promise<{ uri: string } & AsyncDisposable> {
  if (kind === "refused") {
    return { uri: `tcp://127.0.0.1:${deadPort()}`, [Symbol.asyncDispose]: async () => {} };
  }
  const broker = new StompTestBroker();
  if (kind === "silent") broker.faults.blackHole = true;
  else broker.faults.errorOnConnect = "broker in maintenance";
  const { uri } = await broker.listen();
  return { uri, [Symbol.asyncDispose]: () => broker.close() };
}

async function startsOnTheLiveBroker(live: BrokerEndpoint, kind: Broken, options: string): Promise<void> {
  await using broken = await brokenBroker(kind);
  const where = `${kind} broker ${broken.uri}, options "${options}"`;
  const uri = `failover:(${broken.uri},${live.uri})${options}`;
  const client = await connect(uri, {
    login: live.login,
    passcode: live.passcode,
    host: live.host,
    connector: brokerConnector,
    connectTimeout: WAIT_MS,
    connectedTimeout: CONNECTED_TIMEOUT,
    receiptTimeout: WAIT_MS,
  }).catch((error) => {
    throw new Error(`${where}: ${error}`, { cause: error });
  });
  try {
    const log = new EventLog(client);
    const queue = uniqueQueue("chaos-initial");
    await client.send(queue, "landed", {}, { receipt: true });
    await client.disconnect();
    await log.until((e) => e.type === "disconnected", WAIT_MS, "disconnected");
  } finally {
    await client.close();
  }
}

const LIVE = [RABBITMQ.tcp, RABBITMQ.ws, ACTIVEMQ.tcp];

brokerTest(
  "chaos: initial failover past a refused, a silent and an ERROR-ing broker to RabbitMQ tcp, ws and ActiveMQ",
  LIVE,
  async (_, t) => {
    using rejections = rejectionGuard();
    // One concurrent step per live broker (the silent broker's timeouts dominate), kinds in turn.
    await Promise.all(LIVE.map((live) =>
      t.step({
        name: `${live.broker} ${live.address.protocol}`,
        fn: async () => {
          for (const kind of BROKEN) {
            // The default limit (one attempt) with the broken broker first, randomize's own order, and
            // retrying forever: each must land on the live broker.
            await startsOnTheLiveBroker(live, kind, "?randomize=false");
            for (let run = 0; run < 3; run++) await startsOnTheLiveBroker(live, kind, "");
            await startsOnTheLiveBroker(live, kind, "?randomize=false&startupMaxReconnectAttempts=-1");
          }
        },
        sanitizeOps: false,
        sanitizeResources: false,
        sanitizeExit: false,
      })
    ));
    rejections.assertNone();
  },
  { sanitizeOps: false, sanitizeResources: false },
);

Deno.test("chaos: only broken brokers: StompConnectTimeout names each failure and keeps the ERROR frame", async () => {
  using rejections = rejectionGuard();
  await using refused = await brokenBroker("refused");
  await using silent = await brokenBroker("silent");
  await using erroring = await brokenBroker("ERROR");
  const uris = [refused.uri, silent.uri, erroring.uri];
  const started = performance.now();
  const error = await connect(
    `failover:(${uris.join(",")})?startupMaxReconnectAttempts=1&initialReconnectDelay=1`,
    {
      connectTimeout: WAIT_MS,
      connectedTimeout: CONNECTED_TIMEOUT,
    },
  ).then(() => assert.fail("connected to a broken broker"), (e) => e);
  const took = performance.now() - started;
  assert.ok(error instanceof StompConnectTimeout, String(error));
  assert.equal(error.attempts, 2, "two passes");
  assert.deepEqual(new Set(error.failures?.map((f) => f.broker)), new Set(uris));
  assert.match(error.message, /cannot connect/);
  assert.match(error.message, new RegExp(`no CONNECTED from ${silent.uri} within ${CONNECTED_TIMEOUT} ms`));
  assert.match(error.message, /broker in maintenance/);
  assert.ok(error.cause instanceof StompProtocolError, String(error.cause));
  assert.equal(error.cause.frame?.command, "ERROR");
  assert.equal(error.cause.frame?.headers.message, "broker in maintenance");
  // Bounded: two passes, the silent broker's CONNECTED timeout in each.
  assert.ok(took < 2 * CONNECTED_TIMEOUT + 2000, `gave up after ${took} ms`);
  rejections.assertNone();
});
