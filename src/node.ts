/**
 * The npm package's Node entry (`"node"` export condition): the runtime-agnostic core and both
 * clients, with `tcp://` and `ssl://` brokers opened through `node:net` / `node:tls`. `ws://` and
 * `wss://` use the global `WebSocket` (Node 22+). Importing it registers the connector, which is why
 * the package lists this file under `sideEffects`.
 *
 * @example
 * ```ts ignore
 * import { connect } from "stompest";
 * const client = await connect("tcp://127.0.0.1:61613", { login: "guest", passcode: "guest" });
 * await client.send("/queue/demo", "hello", {}, { receipt: true });
 * await client.disconnect();
 * ```
 *
 * @module
 */

import { nodeConnector } from "./connection/connectors/node.ts";
import { registerConnector } from "./connection/connectors/registry.ts";

registerConnector(["tcp", "ssl"], nodeConnector);

export * from "./core.ts";
export { nodeConnector } from "./connection/connectors/node.ts";
