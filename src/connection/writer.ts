/**
 * {@link FrameWriter}: frames to a connection, in order, batched per turn, with backpressure.
 *
 * @module
 */

import { StompConnectionError } from "../errors.ts";
import type { StompFrame, StompHeartBeat } from "../protocol/frame.ts";
import type { StompConnection } from "./transport.ts";

interface Pending {
  readonly bytes: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: StompConnectionError) => void;
}

/**
 * Writes frames and heart-beats to a connection in call order. Frames queued in the same turn go
 * out in one `connection.write` (one per frame when the connection is `messageFramed`). The next
 * batch starts only once the previous write resolved, so a loop that awaits each `write` is held
 * back by the connection instead of buffering without bound. A failed write rejects everything
 * pending, and every later write, with a {@link StompConnectionError}.
 *
 * @example
 * ```ts
 * import { FrameWriter } from "./writer.ts";
 * import { StompFrame } from "../protocol/frame.ts";
 * const chunks: Uint8Array[] = [];
 * const writer = new FrameWriter({
 *   readable: new ReadableStream(), messageFramed: false, info: "test",
 *   write: (bytes) => { chunks.push(bytes); return Promise.resolve(); },
 *   close: () => Promise.resolve(),
 * });
 * await Promise.all([
 *   writer.write(new StompFrame("SEND", { destination: "/queue/a" }, "1")),
 *   writer.write(new StompFrame("SEND", { destination: "/queue/a" }, "2")),
 * ]);
 * console.log(chunks.length); // 1
 * ```
 */
export class FrameWriter {
  readonly #connection: StompConnection;
  #queue: Pending[] = [];
  #flushing = false;
  #failure?: StompConnectionError;

  /** Writes to `connection`; nothing is written until the first {@link FrameWriter.write}. */
  constructor(connection: StompConnection) {
    this.#connection = connection;
  }

  /**
   * Queues a frame (or heart-beat); resolves when its bytes were written. A frame that cannot be
   * encoded rejects with its StompFrameError and is not queued.
   */
  write(frame: StompFrame | StompHeartBeat): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    let bytes: Uint8Array;
    try {
      bytes = frame.toBytes();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ bytes, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // A microtask later, so that everything queued in this turn joins the batch.
        queueMicrotask(() => this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    const connection = this.#connection;
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      let written = 0;
      try {
        if (connection.messageFramed) {
          for (const item of batch) {
            await connection.write(item.bytes);
            item.resolve();
            written++;
          }
        } else {
          await connection.write(batch.length === 1 ? batch[0].bytes : concat(batch));
          for (const item of batch) item.resolve();
        }
      } catch (error) {
        this.#failure = error instanceof StompConnectionError
          ? error
          : new StompConnectionError(`${connection.info}: write failed`, { cause: error });
        for (const item of [...batch.slice(written), ...this.#queue]) item.reject(this.#failure);
        this.#queue = [];
      }
    }
    this.#flushing = false;
  }
}

function concat(batch: readonly Pending[]): Uint8Array {
  let length = 0;
  for (const item of batch) length += item.bytes.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const item of batch) {
    out.set(item.bytes, offset);
    offset += item.bytes.length;
  }
  return out;
}
