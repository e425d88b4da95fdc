/**
 * The browser entry: the protocol core, both clients and the WebSocket connector, and nothing
 * that touches Deno or Node APIs. Brokers are `ws://` or `wss://` URIs.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./browser.ts";
 * const client = await connect("ws://127.0.0.1:15674/ws", { login: "guest", passcode: "guest" });
 * ```
 *
 * @module
 */

export * from "./src/core.ts";
