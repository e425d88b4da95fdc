/**
 * Which connector opens which broker: `ws://` and `wss://` go to the WebSocket connector, `tcp://`
 * and `ssl://` to the connector the runtime's entry registered (Deno: `Deno.connect`, Node:
 * `node:net`). The browser entry registers none, so TCP brokers fail there with a clear error.
 * Imports only the core and the WebSocket connector: browsers load it.
 *
 * @module
 */

import { StompConnectionError } from "../../errors.ts";
import type { StompConnector } from "../transport.ts";
import { brokerUri, type StompBroker } from "../../protocol/broker.ts";
import { websocketConnector } from "./websocket.ts";

const connectors = new Map<StompBroker["protocol"], StompConnector>([
  ["ws", websocketConnector],
  ["wss", websocketConnector],
]);

/**
 * Makes `connector` the default for `protocols` (replacing the previous one), e.g. the Deno
 * entry's `registerConnector(["tcp", "ssl"], denoConnector)`.
 *
 * @example
 * ```ts
 * import { registerConnector } from "./registry.ts";
 * import { websocketConnector } from "./websocket.ts";
 * registerConnector(["ws", "wss"], websocketConnector);
 * ```
 */
export function registerConnector(
  protocols: readonly StompBroker["protocol"][],
  connector: StompConnector,
): void {
  for (const protocol of protocols) connectors.set(protocol, connector);
}

/**
 * The connector for a broker; throws a {@link StompConnectionError} when this runtime has none for
 * its protocol (raw TCP in a browser).
 *
 * @example
 * ```ts
 * import { selectConnector } from "./registry.ts";
 * const connector = selectConnector({ protocol: "ws", host: "127.0.0.1", port: 15674, path: "/ws" });
 * ```
 */
export function selectConnector(broker: StompBroker): StompConnector {
  const connector = connectors.get(broker.protocol);
  if (connector) return connector;
  throw new StompConnectionError(
    `${brokerUri(broker)}: no ${
      broker.protocol === "tcp" || broker.protocol === "ssl" ? "TCP" : broker.protocol
    } ` +
      "connector exists in this runtime; pass `connector` in the config",
  );
}
