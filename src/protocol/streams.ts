/**
 * Web Streams adapters: {@link StompFrameDecoderStream} (bytes → frames and heart-beats) and
 * {@link StompFrameEncoderStream} (frames and heart-beats → bytes), for `pipeThrough` from any
 * byte stream (a socket's `readable`, a WebSocket adapter, a file).
 *
 * @module
 */

import { StompFrameError } from "../errors.ts";
import { StompFrame, StompHeartBeat } from "./frame.ts";
import { StompParser, type StompParserLimits } from "./parser.ts";
import type { StompVersion } from "./spec.ts";

/**
 * Options of a {@link StompFrameDecoderStream}.
 *
 * @example
 * ```ts
 * import type { StompFrameDecoderOptions } from "./streams.ts";
 * const options: StompFrameDecoderOptions = {
 *   version: "1.2",
 *   limits: { maxBodyBytes: 1 << 20 },
 *   onError: (e) => console.warn("dropped a bad frame:", e.message),
 * };
 * ```
 */
export interface StompFrameDecoderOptions {
  /** The version whose rules apply (default 1.2); settable later on the stream. */
  readonly version?: StompVersion;
  /** Parser limits; each defaults separately (see `DEFAULT_PARSER_LIMITS`). */
  readonly limits?: Partial<StompParserLimits>;
  /**
   * Called with each bad input instead of erroring the stream: the bad frame is dropped and
   * decoding goes on. Without it, a bad frame errors the stream.
   */
  readonly onError?: (error: StompFrameError) => void;
}

/**
 * A `TransformStream` from byte chunks to {@link StompFrame}s and {@link StompHeartBeat}s, built
 * on {@link StompParser}: chunks may be split anywhere and reused by the writer.
 *
 * A bad frame errors the stream with a {@link StompFrameError} unless `onError` is given; so
 * does a stream that ends inside a frame. As always with Web Streams, erroring discards what the
 * reader has not taken yet; with `onError` nothing is discarded and the stream closes normally.
 *
 * @example
 * ```ts
 * import { StompFrameDecoderStream } from "./streams.ts";
 * const bytes = ReadableStream.from([new TextEncoder().encode("MESSAGE\ndestination:/q\n\nhi\0\n")]);
 * for await (const item of bytes.pipeThrough(new StompFrameDecoderStream({ version: "1.2" }))) {
 *   console.log(item.info()); // the MESSAGE, then "heart-beat"
 * }
 * ```
 */
export class StompFrameDecoderStream extends TransformStream<Uint8Array, StompFrame | StompHeartBeat> {
  readonly #parser: StompParser;

  /** A decoder with the given version, limits and error handling. */
  constructor(options: StompFrameDecoderOptions = {}) {
    const parser = new StompParser(options.version, options.limits);
    const onError = options.onError;
    const drain = (controller: TransformStreamDefaultController<StompFrame | StompHeartBeat>) => {
      while (parser.canRead()) controller.enqueue(parser.get()!);
    };
    super({
      transform(chunk, controller) {
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError(
            `StompFrameDecoderStream takes Uint8Array chunks, got ${Object.prototype.toString.call(chunk)}`,
          );
        }
        try {
          parser.add(chunk);
        } catch (e) {
          // The frames around the bad one are queued either way; deliver them first.
          drain(controller);
          if (!onError || !(e instanceof StompFrameError)) throw e;
          onError(e);
          return;
        }
        drain(controller);
      },
      flush() {
        if (!parser.pending) return;
        parser.reset();
        const error = new StompFrameError("the byte stream ended inside a frame");
        if (!onError) throw error;
        onError(error);
      },
    });
    this.#parser = parser;
  }

  /**
   * The version whose rules apply to the next bytes; set it when CONNECTED settles the version.
   */
  get version(): StompVersion {
    return this.#parser.version;
  }
  set version(version: StompVersion) {
    this.#parser.version = version;
  }
}

/**
 * A `TransformStream` from {@link StompFrame}s and {@link StompHeartBeat}s to their wire bytes
 * (each frame escaped by its own version). A frame that cannot be written errors the stream with
 * a {@link StompFrameError}.
 *
 * @example
 * ```ts
 * import { StompFrameEncoderStream } from "./streams.ts";
 * import { StompFrame, StompHeartBeat } from "./frame.ts";
 * const frames = ReadableStream.from([new StompFrame("SEND", { destination: "/q" }, "hi"), StompHeartBeat.INSTANCE]);
 * const chunks = await Array.fromAsync(frames.pipeThrough(new StompFrameEncoderStream()));
 * console.log(chunks.map((c) => c.length)); // [ 25, 1 ]
 * ```
 */
export class StompFrameEncoderStream extends TransformStream<StompFrame | StompHeartBeat, Uint8Array> {
  /** An encoder. */
  constructor() {
    super({
      transform(item, controller) {
        if (!(item instanceof StompFrame || item instanceof StompHeartBeat)) {
          throw new TypeError(
            `StompFrameEncoderStream takes StompFrame or StompHeartBeat, got ${
              Object.prototype.toString.call(item)
            }`,
          );
        }
        controller.enqueue(item.toBytes());
      },
    });
  }
}
