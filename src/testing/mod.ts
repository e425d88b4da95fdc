/**
 * `@stompest/stompest/testing`: an in-process STOMP 1.0–1.2 broker for tests, reached through an
 * in-memory connector or a loopback TCP listener, with fault hooks (black hole, ERROR on CONNECT
 * or SEND, drops (also at a SEND, before or after storing it), stopped heart-beats, delays, refused connections) and waits that never sleep.
 *
 * It is a test double: nothing proved on it is proved for ActiveMQ or RabbitMQ.
 *
 * @example
 * ```ts
 * import { StompTestBroker } from "@stompest/stompest/testing";
 * await using broker = new StompTestBroker({ users: { guest: "guest" } });
 * const { uri } = await broker.listen(); // tcp://127.0.0.1:<port>
 * // connect a client with `connector: broker.connector` (in memory) or to `uri` (TCP)
 * broker.faults.delay = 100; // every answer now comes 100 ms late
 * ```
 *
 * @module
 */

export {
  type StompTestAddress,
  StompTestBroker,
  type StompTestListenOptions,
  type StompTestReceivedFrame,
} from "./broker.ts";
export type { StompTestBrokerOptions, StompTestUsers } from "./settings.ts";
export type { StompTestConnectionInfo } from "./connection.ts";
export {
  type StompTestDropOnSend,
  type StompTestErrorFault,
  type StompTestFaultOptions,
  StompTestFaults,
} from "./faults.ts";
export type { StompTestListen, StompTestListener } from "./listener.ts";
export { memoryPair } from "./pair.ts";
export { DEFAULT_WAIT_TIMEOUT, type StompTestWaitOptions } from "./wait.ts";
