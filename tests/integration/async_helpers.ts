/**
 * Shared by the `async_*_test.ts` integration tests: the broker × transport × version matrix
 * (one Deno test per broker and scenario, one concurrent step per transport and version), clients
 * for an endpoint, and waits that fail instead of hanging. Tests that watch or break the traffic use
 * `TappedConnector` from tests/helpers/connectors.ts.
 *
 * @module
 */

import {
  AsyncStomp,
  type AsyncStompOptions,
  deadline,
  type StompAsyncSubscription,
  type StompConfigOptions,
  type StompMessage,
  type StompVersion,
} from "../../mod.ts";
import {
  ACTIVEMQ,
  type BrokerEndpoint,
  type BrokerFeature,
  brokerTest,
  RABBITMQ,
  STOMPSERVER,
  supports,
} from "../helpers/brokers.ts";
import { brokerConnector } from "../helpers/connectors.ts";
import { individualAck } from "../../src/async/acks.ts";
export { statusUntil } from "../helpers/status.ts";

/** Every STOMP version. */
export const ALL_VERSIONS: readonly StompVersion[] = ["1.0", "1.1", "1.2"];
/** The versions with NACK and heart-beats. */
export const VERSIONS_11_UP: readonly StompVersion[] = ["1.1", "1.2"];
/** How long a test waits for one expected event from a broker. */
export const WAIT_MS = 5000;

/** One transport of one broker. */
export interface Transport {
  /** e.g. `tcp`. */
  readonly name: string;
  readonly endpoint: BrokerEndpoint;
  /** The versions the broker speaks there (default all). */
  readonly versions?: readonly StompVersion[];
}

/** The transports of each broker the async client is proved on. */
export const BROKERS: Readonly<Record<BrokerName, readonly Transport[]>> = {
  rabbitmq: [
    { name: "tcp", endpoint: RABBITMQ.tcp },
    { name: "ssl", endpoint: RABBITMQ.ssl },
    { name: "ws", endpoint: RABBITMQ.ws },
    { name: "wss", endpoint: RABBITMQ.wss },
  ],
  activemq: [
    { name: "tcp", endpoint: ACTIVEMQ.tcp },
    { name: "ssl", endpoint: ACTIVEMQ.ssl },
  ],
  // Debian's stompserver: STOMP 1.0 only (see tests/helpers/brokers.ts).
  stompserver: [{ name: "tcp", endpoint: STOMPSERVER.tcp, versions: ["1.0"] }],
};

/** What a matrix step gets. */
export interface Cell {
  readonly broker: BrokerName;
  readonly transport: string;
  readonly endpoint: BrokerEndpoint;
  readonly version: StompVersion;
}

type BrokerName = "rabbitmq" | "activemq" | "stompserver";

/** Which brokers a {@link matrix} covers, and whether in one test. */
export interface MatrixOptions {
  /** Default all three (stompserver only where `versions` holds 1.0). */
  readonly brokers?: readonly BrokerName[];
  /** Leaves out the brokers that lack one of these (tests/helpers/brokers.ts `LACKS` says why). */
  readonly needs?: readonly BrokerFeature[];
  /** One test for all brokers (steps `rabbitmq tcp 1.2`, ...) rather than one per broker. */
  readonly together?: boolean;
}

/**
 * Registers `async <broker>: <name>` for each broker, running `fn` for every transport × version
 * as concurrent steps (`tcp 1.2`, ...): concurrency keeps the slow scenarios (heart-beats) short.
 */
export function matrix(
  name: string,
  versions: readonly StompVersion[],
  fn: (cell: Cell) => Promise<void>,
  { brokers = ["rabbitmq", "activemq", "stompserver"], together = false, needs = [] }: MatrixOptions = {},
): void {
  const groups = together ? [brokers] : brokers.map((broker) => [broker]);
  for (const group of groups) {
    const cells = group.flatMap((broker) =>
      BROKERS[broker].flatMap((t) =>
        versions.filter((v) => (t.versions?.includes(v) ?? true) && supports(t.endpoint, needs))
          .map((version): Cell => ({ broker, transport: t.name, endpoint: t.endpoint, version }))
      )
    );
    if (cells.length === 0) continue;
    brokerTest(
      `async ${[...new Set(cells.map((cell) => cell.broker))].join(" + ")}: ${name}`,
      [...new Set(cells.map((cell) => cell.endpoint))],
      async (_, t) => {
        const steps = cells.map((cell) =>
          t.step({
            name: `${together ? `${cell.broker} ` : ""}${cell.transport} ${cell.version}`,
            // Concurrent steps: Deno's sanitizers cannot attribute ops to one of them.
            sanitizeOps: false,
            sanitizeResources: false,
            sanitizeExit: false,
            fn: () => fn(cell),
          })
        );
        await Promise.all(steps);
      },
      { sanitizeOps: false, sanitizeResources: false },
    );
  }
}

/** A client for `endpoint` speaking exactly `version`, with short timeouts (brokers are local). */
export function client(
  endpoint: BrokerEndpoint,
  version: StompVersion,
  options: StompConfigOptions & AsyncStompOptions = {},
  uri = endpoint.uri,
): AsyncStomp {
  const Client = supports(endpoint, ["disconnect-receipt"]) ? AsyncStomp : AsyncStompWithoutDisconnectReceipt;
  return new Client(uri, {
    login: endpoint.login,
    passcode: endpoint.passcode,
    host: endpoint.host,
    tls: endpoint.tls,
    versions: [version],
    connector: brokerConnector,
    connectTimeout: WAIT_MS,
    connectedTimeout: WAIT_MS,
    receiptTimeout: WAIT_MS,
    ...options,
  });
}

/** For a broker that closes before DISCONNECT's RECEIPT (stompserver): disconnects without asking for one. */
class AsyncStompWithoutDisconnectReceipt extends AsyncStomp {
  override disconnect(options: Parameters<AsyncStomp["disconnect"]>[0] = {}): Promise<void> {
    return super.disconnect({ ...options, receipt: false });
  }
}

/** A connected {@link client}. */
export async function connected(
  endpoint: BrokerEndpoint,
  version: StompVersion,
  options: StompConfigOptions & AsyncStompOptions = {},
  uri?: string,
): Promise<AsyncStomp> {
  const c = client(endpoint, version, options, uri);
  await c.connect();
  return c;
}

/** The ack mode for one message at a time: `client-individual`, or `client` in 1.0 (the library's own rule). */
export { individualAck };

/** Reads a subscription message by message, each read bounded by a timeout. */
export class Inbox {
  readonly #sub: StompAsyncSubscription;
  readonly #iterator: AsyncIterator<StompMessage>;

  constructor(sub: StompAsyncSubscription) {
    this.#sub = sub;
    this.#iterator = sub[Symbol.asyncIterator]();
  }

  /** The next message; fails after `timeout` ms or when the subscription ended. */
  async next(timeout = WAIT_MS): Promise<StompMessage> {
    const result = await deadline(
      this.#iterator.next(),
      { timeout },
      `a message on ${this.#sub.destination}`,
    );
    if (result.done) throw new Error(`${this.#sub.destination}: the subscription ended`);
    return result.value;
  }

  /** Whether the iteration ends (and not with a message) within `timeout` ms. */
  async ends(timeout = WAIT_MS): Promise<boolean> {
    const result = await deadline(this.#iterator.next(), { timeout }, `the end of ${this.#sub.destination}`);
    return result.done === true;
  }

  /** Leaves the iteration, which unsubscribes. */
  async close(): Promise<void> {
    await this.#iterator.return?.();
  }
}

/**
 * The next message on a fresh subscription to `destination` after `marker` was sent there: proves
 * what was (not) left in a queue without sleeping. Returns the messages before the marker.
 */
export async function drainToMarker(
  endpoint: BrokerEndpoint,
  version: StompVersion,
  destination: string,
): Promise<StompMessage[]> {
  const c = await connected(endpoint, version);
  try {
    const marker = `marker-${crypto.randomUUID()}`;
    const sub = await c.subscribe(destination, {}, { ack: individualAck(version), receipt: true });
    await c.send(destination, marker, {}, { receipt: true });
    const inbox = new Inbox(sub);
    const before: StompMessage[] = [];
    for (;;) {
      const msg = await inbox.next();
      await msg.ack();
      if (msg.text() === marker) return before;
      before.push(msg);
    }
  } finally {
    await c.disconnect().catch(() => c.close());
  }
}

/** A failover URI for one endpoint that retries forever, quickly (brokers are local). */
export function foreverUri(endpoint: BrokerEndpoint, maxReconnectDelay = 250): string {
  return `failover:(${endpoint.uri})?maxReconnectAttempts=-1&initialReconnectDelay=20` +
    `&maxReconnectDelay=${maxReconnectDelay}&randomize=false`;
}
