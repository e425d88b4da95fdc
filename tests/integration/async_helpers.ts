/**
 * Shared by the `async_*_test.ts` integration tests: the broker × transport × version matrix
 * (one Deno test per broker and scenario, one concurrent step per transport and version), clients
 * for an endpoint, a connector the test can watch and kill, and waits that fail instead of hanging.
 *
 * @module
 */

import {
  AsyncStomp,
  type AsyncStompOptions,
  deadline,
  denoWebSocketConnector,
  selectConnector,
  type StompAsyncSubscription,
  type StompBroker,
  type StompConfigOptions,
  type StompConnection,
  type StompConnector,
  type StompMessage,
  type StompStatusEvent,
  type StompVersion,
} from "../../mod.ts";
import { ACTIVEMQ, type BrokerEndpoint, brokerTest, RABBITMQ } from "../helpers/brokers.ts";

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
}

/** The transports of each broker the async client is proved on. */
export const BROKERS: Readonly<Record<"rabbitmq" | "activemq", readonly Transport[]>> = {
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
};

/** What a matrix step gets. */
export interface Cell {
  readonly broker: "rabbitmq" | "activemq";
  readonly transport: string;
  readonly endpoint: BrokerEndpoint;
  readonly version: StompVersion;
}

type BrokerName = "rabbitmq" | "activemq";

/** Which brokers a {@link matrix} covers, and whether in one test. */
export interface MatrixOptions {
  /** Default both. */
  readonly brokers?: readonly BrokerName[];
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
  { brokers = ["rabbitmq", "activemq"], together = false }: MatrixOptions = {},
): void {
  const groups = together ? [brokers] : brokers.map((broker) => [broker]);
  for (const group of groups) {
    const cells = group.flatMap((broker) =>
      BROKERS[broker].flatMap((t) =>
        versions.map((version): Cell => ({ broker, transport: t.name, endpoint: t.endpoint, version }))
      )
    );
    brokerTest(
      `async ${group.join(" + ")}: ${name}`,
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

/** The connector for a broker: the runtime's, but Deno's WebSocket for `wss` (it trusts the test CA). */
function baseConnector(broker: StompBroker): StompConnector {
  return broker.protocol === "wss" ? denoWebSocketConnector : selectConnector(broker);
}

/** A client for `endpoint` speaking exactly `version`, with short timeouts (brokers are local). */
export function client(
  endpoint: BrokerEndpoint,
  version: StompVersion,
  options: StompConfigOptions & AsyncStompOptions = {},
  uri = endpoint.uri,
): AsyncStomp {
  return new AsyncStomp(uri, {
    login: endpoint.login,
    passcode: endpoint.passcode,
    host: endpoint.host,
    tls: endpoint.tls,
    versions: [version],
    connector: (broker, connectOptions) => baseConnector(broker)(broker, connectOptions),
    connectTimeout: WAIT_MS,
    connectedTimeout: WAIT_MS,
    receiptTimeout: WAIT_MS,
    ...options,
  });
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

/** The ack mode a test uses for one message at a time: `client-individual`, or `client` in 1.0. */
export function individualAck(version: StompVersion): "client" | "client-individual" {
  return version === "1.0" ? "client" : "client-individual";
}

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

/** Resolves when a status event matching `until` comes; rejects after `timeout` ms. */
export async function statusUntil(
  events: AsyncIterableIterator<StompStatusEvent>,
  until: (e: StompStatusEvent) => boolean,
  timeout = WAIT_MS,
): Promise<StompStatusEvent[]> {
  const seen: StompStatusEvent[] = [];
  const read = (async () => {
    for await (const e of events) {
      seen.push(e);
      if (until(e)) return seen;
    }
    throw new Error(`status ended; saw ${seen.map((e) => e.type).join(", ")}`);
  })();
  return await deadline(read, { timeout }, `status event (saw ${seen.map((e) => e.type)})`, () => {
    events.return?.();
  });
}

const EOL = 10, CR = 13;

function onlyEols(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes.every((b) => b === EOL || b === CR);
}

/**
 * A connector wrapping the runtime's: it counts heart-beats each way, and `kill()` closes the
 * current connection underneath the client (the client sees a connection loss, not a close).
 */
export class TappedConnector {
  /** Connections opened so far. */
  opened = 0;
  /** Writes that were heart-beats (only EOLs). */
  beatsSent = 0;
  /** Reads that were heart-beats (only EOLs). */
  beatsReceived = 0;
  #current?: StompConnection;
  #watchers = new Set<() => void>();

  /** Give this as the client's `connector`. */
  readonly connector: StompConnector = async (broker, options) => {
    const real = await baseConnector(broker)(broker, options);
    const notify = () => {
      for (const watcher of this.#watchers) watcher();
    };
    const readable = real.readable.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          if (onlyEols(chunk)) this.beatsReceived++;
          controller.enqueue(chunk);
          notify();
        },
      }),
    );
    const wrapped: StompConnection = {
      readable,
      write: async (bytes) => {
        await real.write(bytes);
        if (onlyEols(bytes)) this.beatsSent++;
        notify();
      },
      close: () => real.close(),
      messageFramed: real.messageFramed,
      info: real.info,
    };
    this.#current = real;
    this.opened++;
    notify();
    return wrapped;
  };

  /** Closes the current connection from below. */
  async kill(): Promise<void> {
    await this.#current?.close();
  }

  /** Resolves once `predicate` holds (checked after every read and write); rejects after `timeout`. */
  until(predicate: () => boolean, what: string | (() => string), timeout = WAIT_MS): Promise<void> {
    if (predicate()) return Promise.resolve();
    let watcher!: () => void;
    const reached = new Promise<void>((resolve) => {
      watcher = () => {
        if (predicate()) resolve();
      };
      this.#watchers.add(watcher);
    });
    return deadline(reached, { timeout }, typeof what === "string" ? what : "heart-beats")
      .catch((error) => {
        throw typeof what === "string" ? error : new Error(`${what()}: ${error.message}`, { cause: error });
      })
      .finally(() => this.#watchers.delete(watcher));
  }
}

/** A failover URI for one endpoint that retries forever, quickly (brokers are local). */
export function foreverUri(endpoint: BrokerEndpoint, maxReconnectDelay = 250): string {
  return `failover:(${endpoint.uri})?maxReconnectAttempts=-1&initialReconnectDelay=20` +
    `&maxReconnectDelay=${maxReconnectDelay}&randomize=false`;
}
