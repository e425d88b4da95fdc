/**
 * The protocol layer: everything STOMP is, with no I/O and no runtime API. Read it bottom up —
 * `spec.ts` (per-version tables) → `frame.ts` → `parser.ts` (+ `dialect.ts`, `parser_limits.ts`) →
 * `commands.ts` (stateless frame builders; `server_frames.ts`, `command_checks.ts` check what
 * comes back) → `session.ts` (+ `subscriptions.ts`, `broker_quirks.ts`: the conversation's state,
 * still without a socket) and `failover.ts` (a pure sequence of brokers and delays). `streams.ts`
 * adapts the parser to Web Streams; `pool.ts` hands out small buffers.
 *
 * Everything here runs unchanged in Deno, Node and browsers; the connection layer
 * (`src/connection/`) puts it on a socket.
 *
 * @example
 * ```ts
 * import { StompFrame, StompParser } from "./mod.ts";
 * const parser = new StompParser();
 * parser.add(new StompFrame("SEND", { destination: "/queue/a" }, "hi").toBytes());
 * console.log(parser.get()?.info()); // a SEND frame
 * ```
 *
 * @module
 */

export * from "./protocol_error.ts";
export * from "./spec.ts";
export * from "./stompest_spec.ts";
// Named, not `*`: frame.ts also exports registerUnpack, which only unpack.ts calls.
export {
  firstWins,
  type StompBody,
  StompFrame,
  type StompHeaders,
  type StompHeadersInit,
  StompHeartBeat,
} from "./frame.ts";
export * from "./parser.ts";
export * from "./frame_too_large.ts";
export * from "./unpack.ts";
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
export * from "./broker.ts";
export * from "./failover.ts";
export { PUBLISH_ID_HEADER, RESEND_HEADER, withPublishId, withResend } from "./publish_headers.ts";
