/**
 * Everything that works in every runtime: the protocol core, both clients and the WebSocket
 * connector. The runtime entries (`mod.ts` for Deno, `browser.ts`, the npm node entry) re-export
 * this and register their TCP connector.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./spec.ts";
export * from "./frame.ts";
export * from "./parser.ts";
export * from "./streams.ts";
export * as commands from "./commands.ts";
export type {
  StompAckOptions,
  StompConnectedInfo,
  StompConnectOptions,
  StompSendOptions,
  StompToken,
} from "./commands.ts";
export * from "./session.ts";
export * from "./failover.ts";
export * from "./config.ts";
export * from "./transport.ts";
export * from "./wait.ts";
export { registerConnector, selectConnector } from "./connectors/registry.ts";
export { websocketConnector } from "./connectors/websocket.ts";
export type { StompClientConnectOptions } from "./connect.ts";
export { Stomp } from "./sync/client.ts";
export { AsyncStomp, type AsyncStompOptions, connect, type StompReceiptOptions } from "./async/client.ts";
export { type StompAckCallOptions, StompMessage } from "./async/message.ts";
export {
  StompAsyncSubscription,
  type StompMessageFailedHandler,
  type StompMessageHandler,
  type StompSubscribeOptions,
} from "./async/subscription.ts";
export type { StompStatusEvent } from "./async/status.ts";
export { type StompHeartBeatFactors, type StompTicker, timerTicker } from "./async/heartbeat.ts";
export {
  defaultTicker,
  type StompTickerWorker,
  type StompWorkerTicker,
  type StompWorkerTickerOptions,
  workerTicker,
} from "./async/worker_ticker.ts";
