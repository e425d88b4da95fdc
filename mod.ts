/**
 * stompest: a STOMP 1.0/1.1/1.2 client for Deno, browsers and Node.
 *
 * Two clients share one runtime-agnostic core (frames, parser, commands, session, failover):
 * {@link AsyncStomp} with async-iterable subscriptions, handlers, receipts, heart-beats and
 * automatic failover, and the sync-style {@link Stomp} where you `await client.receiveFrame()`.
 *
 * This entry registers Deno's connectors: TCP/TLS for `tcp://` and `ssl://` brokers, Deno's
 * WebSocket (which accepts a custom CA) for `ws://` and `wss://`. Browsers import `./browser.ts`.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * await using client = await connect("tcp://127.0.0.1:61613", { login: "guest", passcode: "guest" });
 * const sub = await client.subscribe("/queue/demo", { ack: "client-individual" });
 * await client.send("/queue/demo", "hello", {}, { receipt: true });
 * for await (const msg of sub) {
 *   console.log(msg.text());
 *   await msg.ack();
 *   break;
 * }
 * ```
 *
 * @module
 */

import { denoConnector, denoWebSocketConnector } from "./src/connection/connectors/deno.ts";
import { registerConnector } from "./src/connection/connectors/registry.ts";

// Deno's own WebSocket can trust a custom CA for wss:// (the global one cannot be told one).
if ((globalThis as { Deno?: { connect?: unknown } }).Deno?.connect) {
  registerConnector(["tcp", "ssl"], denoConnector);
  registerConnector(["ws", "wss"], denoWebSocketConnector);
}

export * from "./src/core.ts";
export { denoConnector, denoWebSocketConnector } from "./src/connection/connectors/deno.ts";
// The node:tls connector, for Deno code that wants `client.tls` (Deno.TlsConn exposes no certificate).
export { nodeConnector } from "./src/connection/connectors/node.ts";
