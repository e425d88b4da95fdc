/**
 * A broker's address, as a failover URI lists it, and its URI text. The protocol layer's failover
 * yields these; connectors (src/connection) open them.
 *
 * @module
 */

/**
 * A broker address from a failover URI.
 *
 * @example
 * ```ts
 * import type { StompBroker } from "./broker.ts";
 * const b: StompBroker = { protocol: "ws", host: "127.0.0.1", port: 15674, path: "/ws" };
 * ```
 */
export interface StompBroker {
  /** `tcp` and `ssl` are raw STOMP over TCP/TLS; `ws` and `wss` are WebSocket-STOMP. */
  readonly protocol: "tcp" | "ssl" | "ws" | "wss";
  /** Host name or IP address (IPv6 without brackets). */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** The WebSocket path (ws/wss only), e.g. `/ws`. */
  readonly path?: string;
}

/**
 * The URI text of a broker, e.g. `ws://127.0.0.1:15674/ws` or `tcp://[::1]:61613`.
 *
 * @example
 * ```ts
 * import { brokerUri } from "./broker.ts";
 * console.log(brokerUri({ protocol: "tcp", host: "::1", port: 61613 })); // "tcp://[::1]:61613"
 * ```
 */
export function brokerUri(broker: StompBroker): string {
  const host = broker.host.includes(":") ? `[${broker.host}]` : broker.host;
  return `${broker.protocol}://${host}:${broker.port}${broker.path ?? ""}`;
}
