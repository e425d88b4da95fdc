/**
 * Everything that works in every runtime: the protocol core, both clients and the WebSocket
 * connector. The runtime entries (`mod.ts` for Deno, `browser.ts`, the npm node entry) re-export
 * this and register their TCP connector.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./protocol/mod.ts";
export * from "./connection/mod.ts";
export { Stomp } from "./sync/client.ts";
export { StompUnconfirmedSends } from "./sync/unconfirmed.ts";
export { AsyncStomp, type AsyncStompOptions, connect, type StompReceiptOptions } from "./async/client.ts";
export { type StompAckCallOptions, StompMessage } from "./async/message.ts";
export type { StompOutboxLimits, StompSendCallOptions } from "./async/options.ts";
export {
  StompAsyncSubscription,
  type StompMessageFailedHandler,
  type StompMessageHandler,
  type StompSubscribeOptions,
} from "./async/subscription.ts";
export type { StompClientState, StompStatusEvent } from "./async/status.ts";
export {
  type StompHeartBeatFactors,
  type StompHeartBeatThresholds,
  type StompTicker,
  timerTicker,
} from "./async/heartbeat.ts";
export {
  defaultTicker,
  type StompTickerWorker,
  type StompWorkerTicker,
  type StompWorkerTickerOptions,
  workerTicker,
} from "./async/worker_ticker.ts";
