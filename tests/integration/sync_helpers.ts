/**
 * Shared by the `sync_*_test.ts` integration tests of {@link Stomp}: the broker × transport
 * targets with what each broker is observed to do differently (as data, see
 * /work/shared/brokers.md), a matrix that registers one test per target × version, frame
 * expectations. Tests that break the socket under a client use `TappedConnector` from
 * tests/helpers/connectors.ts with the target's `connector`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  denoWebSocketConnector,
  SPEC,
  Stomp,
  type StompConfigOptions,
  type StompConnector,
  StompFrame,
  type StompHeadersInit,
  type StompVersion,
  VERSIONS,
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

/** The ack mode for one message at a time: `client-individual`, or `client` in 1.0 (the library's own rule). */
export { individualAck } from "../../src/async/acks.ts";

/** How long a test waits for a frame it expects before failing (never reached when all is well). */
export const WAIT_MS = 5000;

/** What differs between the brokers (and transports), as observed. */
export interface Quirks {
  /** DISCONNECT with a receipt gets a RECEIPT (RabbitMQ Web-STOMP just closes with 1000). */
  readonly disconnectReceipt: boolean;
  /** What a 1.0 header value `a:b` comes back as (RabbitMQ escapes `:` even on 1.0). */
  readonly colonIn10: string;
  /**
   * A SEND inside a transaction gets its RECEIPT at once (ActiveMQ), rather than only after the
   * COMMIT's RECEIPT and never on ABORT (RabbitMQ).
   */
  readonly txReceiptAtOnce: boolean;
  /**
   * A subscription id needing escapes comes back intact. RabbitMQ builds the MESSAGE's
   * `message-id` from the id without escaping it, which corrupts the frame.
   */
  readonly escapedSubscriptionIds: boolean;
  /** NACK puts the message back at once (RabbitMQ) rather than dropping it (ActiveMQ, non-persistent). */
  readonly nackRequeues: boolean;
  /** Every MESSAGE carries content-length, even when the SEND had none (RabbitMQ). */
  readonly alwaysContentLength: boolean;
  /** Client heart-beat period asked for, and what the broker grants (RabbitMQ rounds up to seconds). */
  readonly heartBeat: { readonly ask: number; readonly granted: number };
  /** A frame that makes the broker answer ERROR but keep the connection open (none: every ERROR closes it). */
  readonly badFrame?: (version: StompVersion) => StompFrame;
}

const RABBITMQ_QUIRKS: Quirks = {
  disconnectReceipt: true,
  colonIn10: "a\\cb",
  txReceiptAtOnce: false,
  escapedSubscriptionIds: false,
  nackRequeues: true,
  alwaysContentLength: true,
  heartBeat: { ask: 500, granted: 1000 },
  // RabbitMQ refuses nested queue names with ERROR "Invalid destination" and stays connected.
  badFrame: (version) =>
    new StompFrame("SUBSCRIBE", { destination: "/queue/a/b", id: "bad" }, undefined, version),
};

const ACTIVEMQ_QUIRKS: Quirks = {
  disconnectReceipt: true,
  colonIn10: "a:b",
  txReceiptAtOnce: true,
  escapedSubscriptionIds: true,
  nackRequeues: false,
  alwaysContentLength: false,
  heartBeat: { ask: 300, granted: 300 },
  // ActiveMQ answers an ACK for an unknown message with ERROR and stays connected.
  badFrame: (version) => {
    const headers = Object.keys(SPEC[version].ackHeaders).map((name) => [name, "bogus"] as const);
    return new StompFrame("ACK", headers, undefined, version);
  },
};

const WEB_STOMP_QUIRKS: Quirks = { ...RABBITMQ_QUIRKS, disconnectReceipt: false };

// stompserver 0.9.9 (STOMP 1.0), read in its source (stomp_server/protocols/stomp.rb, queue_manager.rb) and seen on
// the wire: it closes the connection on DISCONNECT before the RECEIPT is written; it answers a frame's receipt as soon
// as it handled the frame, a transactional SEND included; every ERROR closes the connection; a MESSAGE carries the
// SEND's headers (content-length only if the SEND had one), never a `subscription` header.
const STOMPSERVER_QUIRKS: Quirks = {
  disconnectReceipt: false,
  // It splits a header line at its last colon, then writes name:value back: the line comes back the same.
  colonIn10: "a:b",
  txReceiptAtOnce: true,
  escapedSubscriptionIds: true,
  nackRequeues: false,
  alwaysContentLength: false,
  heartBeat: { ask: 0, granted: 0 },
};

/** One way into one broker. */
export interface Target {
  /** e.g. `rabbitmq ws`. */
  readonly name: string;
  /** Which broker. */
  readonly broker: "rabbitmq" | "activemq" | "stompserver";
  /** The versions the broker speaks (the matrix registers no other). */
  readonly versions: readonly StompVersion[];
  /** The endpoint with credentials, host and TLS settings. */
  readonly endpoint: BrokerEndpoint;
  /** Set when the runtime default would not do (wss: only Deno's own connector applies the test CA). */
  readonly connector?: StompConnector;
  /** What this broker/transport does differently. */
  readonly quirks: Quirks;
}

function target(
  broker: Target["broker"],
  transport: string,
  endpoint: BrokerEndpoint,
  quirks: Quirks,
  connector?: StompConnector,
  versions: readonly StompVersion[] = VERSIONS,
): Target {
  return { name: `${broker} ${transport}`, broker, endpoint, quirks, connector, versions };
}

/**
 * RabbitMQ over STOMP, STOMP+TLS, Web-STOMP and Web-STOMP+TLS; ActiveMQ over STOMP and STOMP+TLS; stompserver
 * over STOMP (1.0 only).
 */
export const TARGETS: readonly Target[] = [
  target("rabbitmq", "tcp", RABBITMQ.tcp, RABBITMQ_QUIRKS),
  target("rabbitmq", "ssl", RABBITMQ.ssl, RABBITMQ_QUIRKS),
  target("rabbitmq", "ws", RABBITMQ.ws, WEB_STOMP_QUIRKS),
  target("rabbitmq", "wss", RABBITMQ.wss, WEB_STOMP_QUIRKS, denoWebSocketConnector),
  target("activemq", "tcp", ACTIVEMQ.tcp, ACTIVEMQ_QUIRKS),
  target("activemq", "ssl", ACTIVEMQ.ssl, ACTIVEMQ_QUIRKS),
  target("stompserver", "tcp", STOMPSERVER.tcp, STOMPSERVER_QUIRKS, undefined, ["1.0"]),
];

/** A {@link Stomp} client for `target` (its URI unless `uri` is given), logged in, trusting the test CA. */
export function stomp(target: Target, options: StompConfigOptions & { uri?: string } = {}): Stomp {
  const { uri, ...rest } = options;
  const e = target.endpoint;
  const Client = supports(e, ["disconnect-receipt"]) ? Stomp : StompWithoutDisconnectReceipt;
  return new Client(uri ?? e.uri, {
    login: e.login,
    passcode: e.passcode,
    host: e.host,
    tls: e.tls,
    connector: target.connector,
    connectTimeout: WAIT_MS,
    connectedTimeout: WAIT_MS,
    ...rest,
  });
}

/** For a broker that closes before DISCONNECT's RECEIPT (stompserver): disconnects without asking for one. */
class StompWithoutDisconnectReceipt extends Stomp {
  override disconnect(options: Parameters<Stomp["disconnect"]>[0] = {}): Promise<void> {
    // A positional receipt id (stompest's form) carries no timeout or signal to keep.
    return super.disconnect({ ...(typeof options === "string" ? {} : options), receipt: undefined });
  }
}

/** One cell of the matrix: a target and the version the client is restricted to. */
export interface Case {
  /** The broker and transport. */
  readonly target: Target;
  /** The only version offered, so the broker must speak it. */
  readonly version: StompVersion;
  /** A client of this cell (only `version` offered). */
  client(options?: StompConfigOptions & { uri?: string }): Stomp;
}

/**
 * Registers `sync <target> <version>: <name>` for every target × version (or the ones given);
 * the test checks that the broker negotiated exactly that version.
 */
export function matrix(
  name: string,
  fn: (c: Case) => Promise<void>,
  { versions = VERSIONS, targets = TARGETS, needs = [] }: {
    versions?: readonly StompVersion[];
    targets?: readonly Target[];
    /** Leaves out the brokers that lack one of these (tests/helpers/brokers.ts `LACKS` says why). */
    needs?: readonly BrokerFeature[];
  } = {},
): void {
  for (const t of targets.filter((t) => supports(t.endpoint, needs))) {
    for (const version of versions.filter((v) => t.versions.includes(v))) {
      brokerTest(`sync ${t.name} ${version}: ${name}`, t.endpoint, () =>
        fn({
          target: t,
          version,
          client: (options) => stomp(t, { versions: [version], ...options }),
        }));
    }
  }
}

/** Registers `sync <target>: <name>` once per target. */
export function eachTarget(
  name: string,
  fn: (target: Target) => Promise<void>,
  targets: readonly Target[] = TARGETS,
): void {
  for (const t of targets) brokerTest(`sync ${t.name}: ${name}`, t.endpoint, () => fn(t));
}

/** Connects and checks the negotiated version. */
export async function open(client: Stomp, version?: StompVersion): Promise<StompFrame> {
  const connected = await client.connect();
  assert.equal(connected.command, "CONNECTED");
  if (version !== undefined) assert.equal(client.session.version, version);
  return connected;
}

/** The next frame, which must be the RECEIPT for `id`. */
export async function expectReceipt(client: Stomp, id: string): Promise<void> {
  const frame = await client.receiveFrame({ timeout: WAIT_MS });
  assert.equal(frame.command, "RECEIPT", `expected RECEIPT ${id}, got ${frame.info()}`);
  assert.equal(frame.headers["receipt-id"], id);
}

/** The next frame, which must be a MESSAGE (with `body` when given). */
export async function expectMessage(client: Stomp, body?: string | Uint8Array): Promise<StompFrame> {
  const frame = await client.receiveFrame({ timeout: WAIT_MS });
  assert.equal(frame.command, "MESSAGE", `expected MESSAGE, got ${frame.info()}`);
  if (typeof body === "string") assert.equal(frame.text(), body);
  else if (body !== undefined) assert.deepEqual(frame.body, body);
  return frame;
}

/**
 * Receives until it saw exactly the RECEIPTs `receipts` (any order) and `messages` MESSAGEs; the
 * brokers do not promise how a RECEIPT and a delivery interleave. Returns the MESSAGEs in order.
 */
export async function collect(
  client: Stomp,
  receipts: readonly string[],
  messages: number,
): Promise<StompFrame[]> {
  const seen: string[] = [];
  const got: StompFrame[] = [];
  while (seen.length < receipts.length || got.length < messages) {
    const frame = await client.receiveFrame({ timeout: WAIT_MS });
    if (frame.command === "RECEIPT") seen.push(frame.headers["receipt-id"]);
    else if (frame.command === "MESSAGE") got.push(frame);
    else assert.fail(`unexpected ${frame.info()}`);
    assert.ok(got.length <= messages, `more MESSAGEs than ${messages}: ${frame.info()}`);
  }
  assert.deepEqual(seen.toSorted(), [...receipts].toSorted());
  return got;
}

/** Sends each body to `destination` from a separate client and waits for every receipt. */
export async function produce(
  c: Case,
  destination: string,
  bodies: readonly string[],
  headers: StompHeadersInit = {},
): Promise<void> {
  await using producer = c.client();
  await open(producer, c.version);
  for (const [i, body] of bodies.entries()) await producer.send(destination, body, headers, `p${i}`);
  for (const i of bodies.keys()) await expectReceipt(producer, `p${i}`);
  await producer.disconnect({ receipt: "p-bye" });
}

/** Asserts that nothing in `error` (message, cause chain, String) shows `secret`. */
export function assertNoSecret(error: unknown, secret: string): void {
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 10; depth++) {
    const text = e instanceof Error ? `${e.name} ${e.message} ${e.stack} ${String(e)}` : String(e);
    assert.ok(!text.includes(secret), `the secret shows in ${text}`);
    e = e instanceof Error ? e.cause : undefined;
  }
}

/** A loopback port nobody listens on (bound, then released). */
export function deadPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The URI of `target` with its port replaced by `port`. */
export function withPort(target: Target, port: number): string {
  const { uri } = target.endpoint;
  return uri.replace(`:${target.endpoint.address.port}`, `:${port}`);
}

/** `n` bytes of pseudo-random data (crypto.getRandomValues fills at most 64 KiB per call). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
}
