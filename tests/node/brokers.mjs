// The real brokers the Node tests talk to, probed once at load, and `brokerTest`, which skips a test
// whose broker is down, or fails it when STOMP_REQUIRE_BROKERS=1 (CI). Mirrors tests/helpers/brokers.ts
// with Node APIs only, because these tests run on the built npm package under `node --test`.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import process from "node:process";
import { test } from "node:test";

export const CA_PATH = "/etc/stomp-test-tls/ca.pem";

function readCa() {
  try {
    return readFileSync(CA_PATH, "utf8");
  } catch {
    return undefined;
  }
}

/** The test CA (PEM), or undefined when missing (then TLS endpoints count as down). */
export const CA_PEM = readCa();

const PROBE_TIMEOUT_MS = 2000;
const REQUIRE = process.env.STOMP_REQUIRE_BROKERS === "1";

function probe(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: PROBE_TIMEOUT_MS });
    socket.once("connect", () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve("timed out");
    });
    socket.once("error", (error) => resolve(error.message));
  });
}

async function endpoint(broker, protocol, port, host) {
  const uri = `${protocol}://127.0.0.1:${port}`;
  const secure = protocol === "ssl";
  const failure = secure && CA_PEM === undefined
    ? `no test CA at ${CA_PATH}`
    : await probe("127.0.0.1", port);
  return {
    broker,
    protocol,
    uri,
    options: {
      login: "guest",
      passcode: "guest",
      host,
      ...(secure && CA_PEM !== undefined ? { tls: { caCerts: [CA_PEM] } } : {}),
    },
    available: failure === undefined,
    reason: failure === undefined ? undefined : `no broker at ${uri} (${failure})`,
  };
}

const [rmqTcp, rmqSsl, amqTcp, amqSsl, amqMtls] = await Promise.all([
  endpoint("rabbitmq", "tcp", 61613, "/"),
  endpoint("rabbitmq", "ssl", 61614, "/"),
  endpoint("activemq", "tcp", 61623, "localhost"),
  endpoint("activemq", "ssl", 61625, "localhost"),
  endpoint("activemq", "ssl", 61626, "localhost"),
]);

/** RabbitMQ 3.10: STOMP and STOMP+TLS (`host` must be `/`). */
export const RABBITMQ = { tcp: rmqTcp, ssl: rmqSsl };
/** ActiveMQ 5.17: STOMP and STOMP+TLS, and (`mtls`) the TLS listener that requires a client certificate. */
export const ACTIVEMQ = { tcp: amqTcp, ssl: amqSsl, mtls: amqMtls };
/** Every endpoint, for tests that run against each. */
export const ENDPOINTS = [rmqTcp, rmqSsl, amqTcp, amqSsl];

/**
 * Registers a test needing `endpoints` (one or a list): skipped with the reason when one is down, or
 * failing with it under STOMP_REQUIRE_BROKERS=1.
 */
export function brokerTest(name, endpoints, fn) {
  const list = Array.isArray(endpoints) ? endpoints : [endpoints];
  const down = list.find((e) => !e.available);
  if (!down) return test(name, () => fn(endpoints));
  if (REQUIRE) {
    return test(name, () => {
      throw new Error(`${down.reason} (STOMP_REQUIRE_BROKERS=1)`);
    });
  }
  return test(name, { skip: down.reason }, () => {});
}

/** A queue no other test uses (RabbitMQ queues outlive the test). */
export function uniqueQueue(prefix = "node") {
  return `/queue/${prefix}-${randomUUID()}`;
}

/** A loopback port nothing listens on: bound, then released. */
export async function deadPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP server that accepts and never says a word (no CONNECTED, no TLS handshake). */
export async function silentServer() {
  const sockets = new Set();
  const closed = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    // Reads (and drops) what arrives, so the client's FIN or reset is seen as a close.
    socket.resume();
    closed.push(new Promise((resolve) => socket.once("close", resolve)));
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    /** How many connections it accepted so far. */
    accepted: () => closed.length,
    /** Resolves once every accepted connection was closed (by the client). */
    allClosed: () => Promise.all(closed),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(resolve);
      }),
  };
}
