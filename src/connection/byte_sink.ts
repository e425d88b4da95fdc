/**
 * The fast path between a connector and its channel, kept out of the public API: a connection
 * that carries {@link LISTEN} pushes each chunk straight from the runtime's socket into the
 * parser (Deno `conn.read`, Node `data` events), with no Web Streams hop and no promise per chunk.
 * `readable` stays for everyone else; a connection is read through one or the other, not both.
 *
 * @module
 */

import type { StompError } from "../errors.ts";
import type { StompConnection } from "./transport.ts";

/**
 * Where a connection pushes what it reads. `data` gets a chunk that is valid only during the call
 * (the connector may reuse its buffer: the parser copies what it keeps); `end` is called once, with
 * an error on a failure, without one on EOF or after the connection's own close.
 *
 * @example
 * ```ts
 * import type { ByteSink } from "./byte_sink.ts";
 * const sink: ByteSink = { data: (bytes) => console.log(bytes.length), end: (e) => console.log("end", e) };
 * ```
 */
export interface ByteSink {
  /** A chunk arrived; it may be overwritten once this returns. */
  data(bytes: Uint8Array): void;
  /** The connection ended (`error` undefined: a clean EOF or our own close). */
  end(error?: StompError): void;
  /**
   * Where the next bytes may be read straight to: the unfilled rest of the body being read (its
   * content-length known), or undefined. A connector that can read into a given buffer reads
   * there instead of into its own, and reports the bytes with {@link ByteSink.filled}.
   */
  room?(): Uint8Array | undefined;
  /** `n` bytes were read into the start of the view {@link ByteSink.room} returned. */
  filled?(n: number): void;
}

/**
 * The key of a connection's `(sink) => void` method that starts pushing into `sink`.
 *
 * @example
 * ```ts
 * import { LISTEN } from "./byte_sink.ts";
 * console.log(typeof LISTEN); // "symbol"
 * ```
 */
export const LISTEN: unique symbol = Symbol("stompest.listen");

/**
 * A {@link StompConnection} that may also push its bytes into a {@link ByteSink}.
 *
 * @example
 * ```ts
 * import { LISTEN, type ListeningConnection } from "./byte_sink.ts";
 * const direct = (c: ListeningConnection) => c[LISTEN] !== undefined;
 * ```
 */
export interface ListeningConnection extends StompConnection {
  /** Starts pushing every chunk read into `sink`; called at most once, instead of reading `readable`. */
  readonly [LISTEN]?: (sink: ByteSink) => void;
}
