/**
 * {@link StompChannel}: one open connection with its parser and writer, read continuously.
 *
 * Reading never pauses because the application is slow: a broker that blocks writing to a client
 * that stopped reading can also stop reading that client's ACKs (ActiveMQ does, holding a lock),
 * which deadlocks a client-ack consumer. Buffering is bounded by the clients above this layer.
 *
 * @module
 */

import { StompConnectionError, StompFrameError } from "../errors.ts";
import { StompFrame, type StompHeartBeat } from "../protocol/frame.ts";
import { StompParser, type StompParserLimits } from "../protocol/parser.ts";
import type { StompVersion } from "../protocol/spec.ts";
import type { StompConnection } from "./transport.ts";
import { type StompTrace, traceFrame } from "./trace.ts";
import { type ByteSink, LISTEN, type ListeningConnection } from "./byte_sink.ts";
import { FrameWriter } from "./writer.ts";

/**
 * What a channel reports. Every callback runs synchronously in the read loop.
 *
 * @example
 * ```ts
 * import type { StompChannelHandlers } from "./channel.ts";
 * const handlers: StompChannelHandlers = {
 *   frame: (frame) => console.log(frame.info()),
 *   closed: (error) => console.log("closed", error),
 * };
 * ```
 */
export interface StompChannelHandlers {
  /** A complete frame arrived. */
  frame(frame: StompFrame): void;
  /** Any bytes arrived (a frame or a heart-beat): the peer is alive. */
  alive?(): void;
  /**
   * A frame could not be parsed; the parser dropped it and resynchronised. Called once per bad
   * frame; a `StompFrameTooLargeError` carries the headers of a frame whose body was skipped.
   */
  frameError?(error: StompFrameError): void;
  /** The connection ended: `error` is undefined on a clean EOF. Called once. */
  closed(error?: StompConnectionError): void;
}

/**
 * A connection plus its parser and writer. `start` runs the read loop; `send` writes frames in
 * order, coalescing the ones queued in the same turn and honouring backpressure.
 *
 * @example
 * ```ts ignore
 * import { StompChannel } from "./channel.ts";
 * const channel = new StompChannel(connection, "1.2");
 * channel.start({ frame: (f) => console.log(f.info()), closed: () => console.log("EOF") });
 * await channel.send(frame);
 * ```
 */
export class StompChannel {
  /** The byte connection. */
  readonly connection: StompConnection;
  /** The parser; its version is switched after CONNECTED. */
  readonly parser: StompParser;
  #writer: FrameWriter;
  #closing = false;
  #ended?: Promise<void>;
  readonly #trace?: StompTrace;
  readonly #traceBodies: boolean;

  /**
   * Wraps an open connection; nothing is read until {@link StompChannel.start}. `limits` are the parser's; with `trace`, every
   * frame read and written is reported to it (bodies too with `traceBodies`).
   */
  constructor(
    connection: StompConnection,
    version: StompVersion,
    options: {
      readonly limits?: Partial<StompParserLimits>;
      readonly trace?: StompTrace;
      readonly traceBodies?: boolean;
    } = {},
  ) {
    this.connection = connection;
    this.parser = new StompParser(version, options.limits);
    this.#writer = new FrameWriter(connection);
    this.#trace = options.trace;
    this.#traceBodies = options.traceBodies ?? false;
  }

  /** True once {@link StompChannel.close} was called or the connection ended. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Starts the read loop; `handlers.closed` is called exactly once when it ends. */
  start(handlers: StompChannelHandlers): void {
    const connection = this.connection as ListeningConnection;
    this.#ended = connection[LISTEN] ? this.#listen(connection, handlers) : this.#read(handlers);
  }

  /** Resolves when the read loop has ended. */
  get ended(): Promise<void> {
    return this.#ended ?? Promise.resolve();
  }

  /** Bytes pushed by the connector straight into the parser: no stream, no promise per chunk. */
  #listen(connection: ListeningConnection, handlers: StompChannelHandlers): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const sink: ByteSink = {
        data: (bytes) => {
          if (done) return;
          try {
            this.#feed(bytes, handlers);
          } catch (error) {
            // Thrown by a handler: reading stops here, as the pulling loop stops (and the
            // connector's event callback must not see it).
            sink.end(new StompConnectionError(`${connection.info}: connection failed`, { cause: error }));
            connection.close().catch(() => {});
          }
        },
        room: () => done ? undefined : this.parser.bodyRoom(),
        filled: (n) => {
          if (done) return;
          handlers.alive?.();
          // No frame completes here: its NUL comes through data().
          this.parser.bodyFilled(n);
        },
        end: (error) => {
          if (done) return;
          done = true;
          this.#finish(error, handlers);
          resolve();
        },
      };
      connection[LISTEN]!(sink);
    });
  }

  async #read(handlers: StompChannelHandlers): Promise<void> {
    const reader = this.connection.readable.getReader();
    let failure: unknown;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.#feed(value, handlers);
      }
    } catch (error) {
      failure = error;
    } finally {
      reader.releaseLock();
    }
    this.#finish(failure, handlers);
  }

  #feed(bytes: Uint8Array, handlers: StompChannelHandlers): void {
    handlers.alive?.();
    try {
      this.parser.add(bytes);
    } catch (error) {
      if (!(error instanceof StompFrameError)) throw error;
      // Each bad frame's error in its place among the frames of the chunk.
      const each: StompFrameError[] = error.cause instanceof AggregateError ? error.cause.errors : [error];
      let taken = 0;
      for (const bad of each) {
        taken += this.#drain(handlers, (bad.queuedBefore ?? 0) - taken);
        handlers.frameError?.(bad);
      }
      this.#drain(handlers);
      return;
    }
    this.#drain(handlers);
  }

  /** Reports the end once: `error` undefined is EOF (a failure if it cut a frame short). */
  #finish(error: unknown, handlers: StompChannelHandlers): void {
    let failure: StompConnectionError | undefined;
    if (this.#closing) {
      // Our own close: whatever the read saw then is its end, not a failure.
    } else if (error !== undefined) {
      failure = error instanceof StompConnectionError
        ? error
        : new StompConnectionError(`${this.connection.info}: connection failed`, { cause: error });
    } else if (this.parser.pending) {
      failure = new StompConnectionError(`${this.connection.info}: connection ended inside a frame`);
    }
    this.#closing = true;
    handlers.closed(failure);
  }

  /** Hands out at most `max` queued items (frames to `handlers`); returns how many were taken. */
  #drain(handlers: StompChannelHandlers, max = Infinity): number {
    const parser = this.parser;
    const trace = this.#trace;
    let taken = 0;
    for (; taken < max && parser.canRead(); taken++) {
      const item = parser.get();
      if (item instanceof StompFrame) {
        if (trace) traceFrame(trace, "in", this.connection.info, item, this.#traceBodies);
        handlers.frame(item);
      }
    }
    return taken;
  }

  /** Writes a frame or heart-beat; resolves once the connection took its bytes. */
  send(item: StompFrame | StompHeartBeat): Promise<void> {
    if (this.#trace && item instanceof StompFrame) {
      traceFrame(this.#trace, "out", this.connection.info, item, this.#traceBodies);
    }
    return this.#writer.write(item);
  }

  /** Closes the connection (idempotent); the read loop then ends and reports `closed`. */
  async close(): Promise<void> {
    this.#closing = true;
    try {
      await this.connection.close();
    } catch {
      // Closing a connection that already failed has nothing left to report.
    }
  }
}
