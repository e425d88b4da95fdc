/**
 * {@link FrameWriter}: frames to a connection, in order, batched per turn, with backpressure.
 *
 * @module
 */

import { StompConnectionError } from "../errors.ts";
import { StompFrame, type StompHeartBeat } from "../protocol/frame.ts";
import { frameHead } from "../protocol/wire.ts";
import type { StompConnection } from "./transport.ts";

/**
 * One queued frame: its checked header block and its body as given (encoded into the batch's
 * buffer at flush time, so a body is copied once), or, on a message-framed connection, its bytes.
 */
interface Pending {
  readonly head: string;
  readonly body: Uint8Array;
  /** False for a heart-beat: its "body" is the EOL itself. */
  readonly nul: boolean;
  readonly resolve: () => void;
  readonly reject: (error: StompConnectionError) => void;
}

const encoder = new TextEncoder();

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
    let head: string, body: Uint8Array, nul: boolean;
    try {
      if (!(frame instanceof StompFrame)) {
        head = "", body = frame.toBytes(), nul = false;
      } else if (this.#connection.messageFramed) {
        // One message per frame: the frame's own bytes are the write.
        head = "", body = frame.toBytes(), nul = false;
      } else {
        // Checked and escaped now, so a frame that cannot be written rejects here, unqueued.
        head = frameHead(frame.command, frame.rawHeaders, frame.body.length, frame.version);
        body = frame.body, nul = true;
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ head, body, nul, resolve, reject });
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
            await connection.write(item.body);
            item.resolve();
            written++;
          }
        } else {
          await connection.write(encodeBatch(batch));
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

/** The batch's wire bytes in one buffer: each header block encoded, each body copied once. */
function encodeBatch(batch: readonly Pending[]): Uint8Array {
  if (batch.length === 1 && batch[0].head === "") return batch[0].body;
  // UTF-8 takes at most 3 bytes per UTF-16 unit: a safe bound before encoding.
  let bound = 0;
  for (const item of batch) bound += item.head.length * 3 + item.body.length + 1;
  const out = new Uint8Array(bound);
  let at = 0;
  for (const item of batch) {
    if (item.head !== "") at += encoder.encodeInto(item.head, out.subarray(at)).written;
    out.set(item.body, at);
    at += item.body.length;
    if (item.nul) out[at++] = 0;
  }
  return out.subarray(0, at);
}
