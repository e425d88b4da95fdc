/**
 * {@link FrameWriter}: frames to a connection, in order, batched per turn, with backpressure.
 *
 * @module
 */

import { StompConnectionError } from "../errors.ts";
import { StompFrame, type StompHeartBeat } from "../protocol/frame.ts";
import { allocate } from "../protocol/pool.ts";
import { headBound, writeFrameHead } from "../protocol/wire.ts";
import type { StompConnection } from "./transport.ts";

const EMPTY = new Uint8Array(0);

interface Batch {
  /** The chunk being filled and its length (byte streams). */
  buffer: Uint8Array;
  length: number;
  /** Full chunks before it (byte streams), or each frame's bytes (message-framed: one write each). */
  readonly frames: Uint8Array[];
  readonly done: Promise<void>;
  /** How many frames' writes completed (message-framed): only the rest fail with the batch. */
  readonly settle: (error?: StompConnectionError, written?: number) => void;
  readonly perFrame: PromiseWithResolversLike[];
  /** This batch's chunks of exactly {@link CHUNK_BYTES}: reused once written. */
  readonly chunks: Uint8Array[];
}

interface PromiseWithResolversLike {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: StompConnectionError) => void;
}

/** A batch is encoded into chunks of this size (or one the size of a larger frame). */
const CHUNK_BYTES = 64 * 1024;
const FIRST_CHUNK_BYTES = 1024;
/**
 * Written chunks kept for the next batches (1 MiB). Fresh memory is dear: under Deno a new 64 KiB
 * buffer costs 100–200 µs while many are alive (page faults, zeroing, external-memory GC checks),
 * which is what a burst of sends nobody awaits allocates.
 */
const SPARE_CHUNKS = 16;
/** See FrameWriter's #schedule. */
const QUIET_TURNS = 2;
const MAX_TURNS = 256;
/**
 * Turns are taken with `then` on a settled promise, not `queueMicrotask`: under Node each
 * `queueMicrotask` call builds an AsyncResource (async_hooks), which a frame written alone paid
 * three times over.
 */
const RESOLVED = Promise.resolve();
/**
 * A body this large is written as it is (one more write) instead of copied into the chunk: it
 * would fill a chunk of its own anyway, so the copy would buy no batching, and a write op costs
 * about what copying 64 KiB does. The copy of a 1 MiB body was the sender's largest garbage.
 */
export const LARGE_BODY_BYTES = CHUNK_BYTES;

function resolvers(): PromiseWithResolversLike {
  let resolve!: () => void, reject!: (error: StompConnectionError) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Writes frames and heart-beats to a connection in call order. Frames queued in the same turn go
 * out in one `connection.write` (one per frame when the connection is `messageFramed`). The next
 * batch starts only once the previous write resolved, so a loop that awaits each `write` is held
 * back by the connection instead of buffering without bound. A failed write rejects everything
 * pending, and every later write, with a {@link StompConnectionError}.
 *
 * On a byte stream each frame is encoded into the batch's buffer when it is queued (header block
 * escaped, body copied once), and every frame of a batch shares one promise: per frame there is
 * no queue entry, no promise and no closure, which is what a publish loop of small messages costs.
 * A body of {@link LARGE_BODY_BYTES} or more is not copied: the connection is handed the very body
 * array, between the chunk holding its header block and the one holding its NUL, so its bytes must
 * not change until the write resolved.
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
  #batch?: Batch;
  #flushing = false;
  /** Frames queued so far (the scheduler watches it grow). */
  #queued = 0;
  #failure?: StompConnectionError;
  /** Chunks whose writes completed: the connection no longer reads them (see StompConnection.write). */
  readonly #spare: Uint8Array[] = [];

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
    this.#queued++;
    if (this.#connection.messageFramed) {
      let bytes: Uint8Array;
      try {
        bytes = frame.toBytes();
      } catch (error) {
        return Promise.reject(error);
      }
      const batch = this.#current();
      const one = resolvers();
      batch.frames.push(bytes);
      batch.perFrame.push(one);
      return one.promise;
    }
    // A frame's header block is checked, escaped and encoded straight into the chunk (no header
    // string: under Node flattening the concatenated one cost as much as the rest of the write);
    // a frame that cannot be written rejects with nothing queued.
    let body: Uint8Array, headRoom: number;
    const stomp = frame instanceof StompFrame ? frame : undefined;
    if (stomp) {
      body = stomp.body;
      headRoom = headBound(stomp.command, stomp.rawHeaders);
    } else {
      body = (frame as StompHeartBeat).toBytes();
      headRoom = 0;
    }
    const batch = this.#current();
    const large = body.length >= LARGE_BODY_BYTES;
    const need = headRoom + (large ? 0 : body.length) + 1;
    let buffer = batch.buffer, at = batch.length;
    if (at + need > buffer.length) {
      // Full chunks are written as they are (in order, one write each): nothing is copied twice.
      if (at > 0) batch.frames.push(buffer.subarray(0, at));
      // A batch's first chunk is small (a single ACK is the common batch) and comes from the pool.
      if (at === 0 && buffer.length === 0 && need <= FIRST_CHUNK_BYTES) {
        buffer = allocate(FIRST_CHUNK_BYTES);
      } else if (need <= CHUNK_BYTES) {
        buffer = this.#spare.pop() ?? new Uint8Array(CHUNK_BYTES);
        batch.chunks.push(buffer);
      } else {
        buffer = allocate(need);
      }
      batch.buffer = buffer;
      batch.length = at = 0;
    }
    if (stomp) {
      try {
        at = writeFrameHead(stomp.command, stomp.rawHeaders, body.length, stomp.version, buffer, at);
      } catch (error) {
        // Bytes past batch.length are not part of the batch: the next frame writes over them.
        return Promise.reject(error);
      }
    }
    if (large) {
      // Written as it is, between the chunk so far and the rest of the chunk (where its NUL goes).
      batch.frames.push(buffer.subarray(0, at), body);
      buffer = batch.buffer = buffer.subarray(at);
      at = 0;
    } else if (body.length > 0) {
      if (body.length > 64) buffer.set(body, at);
      else for (let i = 0; i < body.length; i++) buffer[at + i] = body[i];
      at += body.length;
    }
    if (stomp) buffer[at++] = 0;
    batch.length = at;
    return batch.done;
  }

  /** The batch being filled; a new one is flushed a microtask later, with all queued in this turn. */
  #current(): Batch {
    if (this.#batch) return this.#batch;
    const { promise, resolve, reject } = resolvers();
    // The shared promise may have no listener (a send nobody awaits): its failure is still
    // reported to each frame that asks, and the later writes; it must not be "unhandled".
    promise.catch(() => {});
    const perFrame: PromiseWithResolversLike[] = [];
    const batch: Batch = {
      buffer: EMPTY,
      length: 0,
      frames: [],
      done: promise,
      perFrame,
      chunks: [],
      settle: (error, written = 0) => {
        if (error) {
          reject(error);
          for (let i = written; i < perFrame.length; i++) perFrame[i].reject(error);
        } else {
          resolve();
        }
      },
    };
    this.#batch = batch;
    if (!this.#flushing) {
      this.#flushing = true;
      this.#schedule();
    }
    return batch;
  }

  /**
   * Flushes once the frames stop coming: after {@link QUIET_TURNS} microtask turns without a new
   * one (at most {@link MAX_TURNS}). A consumer that iterates buffered messages with `for await` and
   * acks each one spends a few turns per message, so a write after the first turn would carry the
   * first ACK alone and the rest in a second write; waiting for a quiet spell puts all the ACKs of
   * one socket read in one write, and costs a frame written alone a few microtasks, not a task.
   */
  #schedule(): void {
    let seen = -1, quiet = 0, turns = 0;
    const tick = () => {
      if (this.#queued !== seen) {
        seen = this.#queued;
        quiet = 0;
      } else quiet++;
      if (quiet < QUIET_TURNS && ++turns < MAX_TURNS) RESOLVED.then(tick);
      else this.#flush();
    };
    RESOLVED.then(tick);
  }

  async #flush(): Promise<void> {
    const connection = this.#connection;
    let batch: Batch | undefined;
    while ((batch = this.#batch) !== undefined) {
      this.#batch = undefined;
      let written = 0;
      try {
        if (connection.messageFramed) {
          for (const bytes of batch.frames) {
            await connection.write(bytes);
            batch.perFrame[written++].resolve();
          }
        } else {
          const rest = batch.buffer.subarray(0, batch.length);
          if (batch.frames.length === 0 && rest.length === 0) {
            // Only a frame that could not be written was queued in this turn: nothing to send.
          } else if (batch.frames.length > 0 && connection.writev) {
            // Full chunks and large bodies with the chunk being filled: one gathered write.
            batch.frames.push(rest);
            await connection.writev(batch.frames);
          } else {
            for (const bytes of batch.frames) await connection.write(bytes);
            await connection.write(rest);
          }
          const spare = this.#spare;
          for (const chunk of batch.chunks) if (spare.length < SPARE_CHUNKS) spare.push(chunk);
        }
        batch.settle();
      } catch (error) {
        this.#failure = error instanceof StompConnectionError
          ? error
          : new StompConnectionError(`${connection.info}: write failed`, { cause: error });
        batch.settle(this.#failure, written);
        // Queued while this write was under way: refused with it.
        (this.#batch as Batch | undefined)?.settle(this.#failure);
        this.#batch = undefined;
      }
    }
    this.#flushing = false;
  }
}
