/**
 * The real brokers the integration tests talk to (started by `scripts/brokers.sh start all`):
 * endpoints with credentials and TLS settings, a reachability probe made once at load, and
 * {@link brokerTest}, which skips a test whose broker is down, or fails it when
 * `STOMP_REQUIRE_BROKERS=1` (CI).
 *
 * @module
 */

import type { StompTlsOptions } from "../../src/connection/transport.ts";
import type { StompBroker } from "../../src/protocol/broker.ts";
import { brokerUri } from "../../src/protocol/broker.ts";

/** Where `scripts/brokers.sh` puts the test CA. */
export const CA_PATH = "/etc/stomp-test-tls/ca.pem";

/**
 * The test CA (PEM), or undefined when the file is missing (then TLS endpoints count as down).
 *
 * @example
 * ```ts ignore
 * import { CA_PEM } from "./brokers.ts";
 * const tls = { caCerts: [CA_PEM!] };
 * ```
 */
export const CA_PEM: string | undefined = await Deno.readTextFile(CA_PATH).catch(() => undefined);

/**
 * One way into one broker, with what a client needs to log in.
 *
 * @example
 * ```ts ignore
 * import { RABBITMQ } from "./brokers.ts";
 * console.log(RABBITMQ.tcp.uri, RABBITMQ.tcp.available); // "tcp://127.0.0.1:61613" true
 * ```
 */
export interface BrokerEndpoint {
  /** `rabbitmq`, `activemq` or `stompserver`. */
  readonly broker: "rabbitmq" | "activemq" | "stompserver";
  /** The address, as a connector takes it. */
  readonly address: StompBroker;
  /** The URI text, e.g. `ssl://127.0.0.1:61614`. */
  readonly uri: string;
  /** CONNECT credentials. */
  readonly login: string;
  /** CONNECT credentials. */
  readonly passcode: string;
  /** The CONNECT `host` header (RabbitMQ: the vhost; ActiveMQ ignores it). */
  readonly host: string;
  /** TLS settings trusting the test CA (ssl/wss endpoints). */
  readonly tls?: StompTlsOptions;
  /** Whether the probe at load reached it. */
  readonly available: boolean;
  /** Why it is unavailable, e.g. `no broker at tcp://127.0.0.1:61613`. */
  readonly reason?: string;
}

const PROBE_TIMEOUT_MS = 2000;

async function probe(address: StompBroker, needsCa: boolean): Promise<string | undefined> {
  const uri = brokerUri(address);
  if (needsCa && CA_PEM === undefined) return `no broker at ${uri} (no test CA at ${CA_PATH})`;
  try {
    const conn = await Deno.connect({
      hostname: address.host,
      port: address.port,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    conn.close();
    return undefined;
  } catch (error) {
    return `no broker at ${uri} (${error instanceof Error ? error.message : error})`;
  }
}

/**
 * Probes `address` once and describes it as an endpoint (TLS ones trust the test CA).
 *
 * @example
 * ```ts ignore
 * import { endpoint } from "./brokers.ts";
 * const amq = await endpoint("activemq", { protocol: "tcp", host: "127.0.0.1", port: 61623 }, "localhost");
 * ```
 */
export async function endpoint(
  broker: BrokerEndpoint["broker"],
  address: StompBroker,
  host: string,
): Promise<BrokerEndpoint> {
  const secure = address.protocol === "ssl" || address.protocol === "wss";
  const reason = await probe(address, secure);
  return {
    broker,
    address,
    uri: brokerUri(address),
    login: "guest",
    passcode: "guest",
    host,
    tls: secure && CA_PEM !== undefined ? { caCerts: [CA_PEM] } : undefined,
    available: reason === undefined,
    reason,
  };
}

const local = "127.0.0.1";
const [rmqTcp, rmqSsl, rmqWs, rmqWss, amqTcp, amqSsl, ssTcp] = await Promise.all([
  endpoint("rabbitmq", { protocol: "tcp", host: local, port: 61613 }, "/"),
  endpoint("rabbitmq", { protocol: "ssl", host: local, port: 61614 }, "/"),
  endpoint("rabbitmq", { protocol: "ws", host: local, port: 15674, path: "/ws" }, "/"),
  endpoint("rabbitmq", { protocol: "wss", host: local, port: 15673, path: "/ws" }, "/"),
  endpoint("activemq", { protocol: "tcp", host: local, port: 61623 }, "localhost"),
  endpoint("activemq", { protocol: "ssl", host: local, port: 61625 }, "localhost"),
  endpoint("stompserver", { protocol: "tcp", host: local, port: 61633 }, "localhost"),
]);

/**
 * RabbitMQ 3.10: STOMP, STOMP+TLS, Web-STOMP and Web-STOMP+TLS (`host` must be `/`).
 *
 * @example
 * ```ts ignore
 * import { RABBITMQ } from "./brokers.ts";
 * console.log(RABBITMQ.ws.uri); // "ws://127.0.0.1:15674/ws"
 * ```
 */
export const RABBITMQ = { tcp: rmqTcp, ssl: rmqSsl, ws: rmqWs, wss: rmqWss } as const;

/**
 * ActiveMQ 5.17: STOMP and STOMP+TLS (no WebSocket in Debian's build).
 *
 * @example
 * ```ts ignore
 * import { ACTIVEMQ } from "./brokers.ts";
 * console.log(ACTIVEMQ.tcp.uri); // "tcp://127.0.0.1:61623"
 * ```
 */
export const ACTIVEMQ = { tcp: amqTcp, ssl: amqSsl } as const;

/**
 * Debian's stompserver 0.9.9 (Ruby): STOMP 1.0 only, over TCP; no login check, queues in memory. A third
 * implementation, independent of the other two, for the 1.0 column of the integration tests.
 *
 * @example
 * ```ts ignore
 * import { STOMPSERVER } from "./brokers.ts";
 * console.log(STOMPSERVER.tcp.uri); // "tcp://127.0.0.1:61633"
 * ```
 */
export const STOMPSERVER = { tcp: ssTcp } as const;

/**
 * What a test may need that not every broker does.
 * - `client-acks`: `client` acks that hand out the next message and redeliver what was not acked.
 * - `subscription-ids`: MESSAGEs name their subscription, and UNSUBSCRIBE by `id` works.
 * - `one-receipt-per-frame`: each frame's receipt is answered once.
 * - `disconnect-receipt`: DISCONNECT's receipt is answered (or the library knows the broker's replacement).
 *
 * @example
 * ```ts
 * import type { BrokerFeature } from "./brokers.ts";
 * const needs: BrokerFeature[] = ["client-acks"];
 * ```
 */
export type BrokerFeature =
  | "client-acks"
  | "subscription-ids"
  | "one-receipt-per-frame"
  | "disconnect-receipt";

/**
 * What each broker lacks of {@link BrokerFeature}, as found by the integration tests. stompserver 0.9.9 (read in
 * its source, seen on the wire): a client-ack consumer that leaves holding a message makes later deliveries of
 * that queue fail with an ERROR (its memory queue lost the message's counters; its file queue takes the whole
 * broker down), and its MESSAGEs carry no `redelivered`; it unsubscribes by `destination` only and names no
 * subscription on a MESSAGE; at COMMIT it answers the receipts of the transaction's SENDs a second time; on
 * DISCONNECT it closes the connection before writing the RECEIPT, and it sends no `server` header by which the
 * library could know it, so `disconnect({ receipt })` rightly rejects there: the test helpers' clients for it
 * disconnect without a receipt.
 *
 * @example
 * ```ts
 * import { LACKS } from "./brokers.ts";
 * console.log(LACKS.stompserver.includes("client-acks")); // true
 * ```
 */
export const LACKS: Readonly<Record<BrokerEndpoint["broker"], readonly BrokerFeature[]>> = {
  rabbitmq: [],
  activemq: [],
  stompserver: ["client-acks", "subscription-ids", "one-receipt-per-frame", "disconnect-receipt"],
};

/**
 * Whether `endpoint`'s broker does everything in `needs`.
 *
 * @example
 * ```ts
 * import { RABBITMQ, supports } from "./brokers.ts";
 * console.log(supports(RABBITMQ.tcp, ["client-acks"])); // true
 * ```
 */
export function supports(endpoint: BrokerEndpoint, needs: readonly BrokerFeature[] = []): boolean {
  return needs.every((feature) => !LACKS[endpoint.broker].includes(feature));
}

/** Whether a missing broker fails its tests (CI) instead of skipping them. */
const REQUIRE = Deno.env.get("STOMP_REQUIRE_BROKERS") === "1";

/**
 * Registers a test that needs `endpoint` (or every endpoint of a list). When one is down the test
 * is ignored and `skipped: no broker at <uri>` is printed, or, with `STOMP_REQUIRE_BROKERS=1`,
 * the test fails with `no broker at <uri>`.
 *
 * @example
 * ```ts ignore
 * import { brokerTest, RABBITMQ } from "./brokers.ts";
 * brokerTest("rabbitmq: connects", RABBITMQ.tcp, async (endpoint) => {
 *   console.log(endpoint.uri);
 * });
 * ```
 */
export function brokerTest<E extends BrokerEndpoint | readonly BrokerEndpoint[]>(
  name: string,
  endpoint: E,
  fn: (endpoint: E, t: Deno.TestContext) => void | Promise<void>,
  options: Omit<Deno.TestDefinition, "name" | "fn" | "ignore" | "only"> = {},
): void {
  const endpoints: readonly BrokerEndpoint[] = Array.isArray(endpoint)
    ? endpoint
    : [endpoint as BrokerEndpoint];
  const down = endpoints.find((e) => !e.available);
  if (!down) {
    Deno.test({ ...options, name, fn: (t) => fn(endpoint, t) });
  } else if (REQUIRE) {
    Deno.test({
      ...options,
      name,
      fn: () => {
        throw new Error(`${down.reason ?? `no broker at ${down.uri}`} (STOMP_REQUIRE_BROKERS=1)`);
      },
    });
  } else {
    console.log(`skipped: ${down.reason ?? `no broker at ${down.uri}`} — ${name}`);
    Deno.test({ ...options, name, ignore: true, fn: () => {} });
  }
}

/**
 * A queue destination no other test uses (RabbitMQ queues are durable and outlive the test).
 *
 * @example
 * ```ts
 * import { uniqueQueue } from "./brokers.ts";
 * console.log(uniqueQueue("orders")); // e.g. "/queue/orders-3b1f0c2e-..."
 * ```
 */
export function uniqueQueue(prefix = "test"): string {
  return `/queue/${prefix}-${crypto.randomUUID()}`;
}

/** scripts/brokers.sh, found from this file so that tests work from any directory. */
const BROKERS_SCRIPT = new URL("../../scripts/brokers.sh", import.meta.url).pathname;

/**
 * Runs `scripts/brokers.sh <action> <which>` (needs `--allow-run`, and root or password-less sudo):
 * `kill` crashes a broker (clients see EOF), `stop` stops it gracefully, `start` brings it back and
 * resolves once it answers STOMP CONNECT. Throws with the script's output when it fails or takes
 * longer than `timeoutMs`.
 *
 * @example
 * ```ts ignore
 * import { brokersScript } from "./brokers.ts";
 * await brokersScript("kill", "rabbitmq");
 * await brokersScript("start", "rabbitmq");
 * ```
 */
export async function brokersScript(
  action: "start" | "stop" | "kill",
  which: "all" | "rabbitmq" | "activemq" | "stompserver",
  timeoutMs = 180_000,
): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [BROKERS_SCRIPT, action, which],
    stdin: "null",
    // The script's own readiness wait (default 90 s) must not be the shorter limit: RabbitMQ rebuilds its
    // message-store indices after each SIGKILL, and its boot took 35, 51, 69, then over 90 s in a row here.
    env: { START_TIMEOUT: String(Math.max(30, Math.floor(timeoutMs / 1000) - 10)) },
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  if (code !== 0) {
    const output = new TextDecoder().decode(stderr) + new TextDecoder().decode(stdout);
    throw new Error(`brokers.sh ${action} ${which} exited ${code}:\n${output}`);
  }
}
