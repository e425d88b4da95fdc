/**
 * The connection layer: everything between a session and bytes. `transport.ts` is the small
 * interface a runtime implements (a connector opens a broker and returns a byte connection);
 * `connectors/` holds one per runtime (Deno TCP/TLS, Node `node:net`/`node:tls`, WebSocket) and the
 * registry that picks one by scheme; `writer.ts` coalesces writes; `channel.ts` runs a parser over a
 * connection; `connect.ts` does the CONNECT/CONNECTED handshake over a failover sequence; `wait.ts`
 * bounds every wait by a timeout or an AbortSignal; `config.ts` holds what a client is told (brokers,
 * credentials, version, TLS, timeouts).
 *
 * Only the connectors touch runtime APIs, and each runtime entry registers its own: a browser loads
 * the WebSocket connector and nothing else.
 *
 * @example
 * ```ts
 * import { deadline } from "./mod.ts";
 * const value = await deadline(Promise.resolve(42), { timeout: 1000 }, "the answer");
 * console.log(value); // 42
 * ```
 *
 * @module
 */

export * from "./config.ts";
export * from "./transport.ts";
export type { StompPeerCertificate, StompTlsInfo } from "./tls_info.ts";
export * from "./wait.ts";
export { registerConnector, selectConnector } from "./connectors/registry.ts";
export { websocketConnector } from "./connectors/websocket.ts";
export type { StompClientConnectOptions } from "./connect.ts";
export { redactHeaders, type StompTrace, type StompTraceEvent } from "./trace.ts";
