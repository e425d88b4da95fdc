/**
 * {@link StompFrameTooLargeError}: a frame whose body the parser read past without keeping, handed
 * up with its headers so that one message can be settled instead of the connection failing. It
 * carries a frame, which is why it lives beside frame.ts and not in errors.ts.
 *
 * @module
 */

import { StompFrameError } from "../errors.ts";
import type { StompFrame } from "./frame.ts";

/**
 * A frame whose body broke `maxBodyBytes` or `maxFrameBytes` (named in `limit`): the parser skipped
 * the body and kept the headers, in `frame` (its body is empty). The connection stays usable. The
 * async client settles such a MESSAGE by itself (see `AsyncStomp`); the sync client throws this
 * from `receiveFrame`, in order, so the caller can `nack(error.frame)` or `ack` it.
 *
 * @example
 * ```ts
 * import { StompParser } from "./parser.ts";
 * import { StompFrameTooLargeError } from "./frame_too_large.ts";
 * const parser = new StompParser("1.2", { maxBodyBytes: 4 });
 * try {
 *   parser.add(new TextEncoder().encode("MESSAGE\nmessage-id:7\ncontent-length:5\n\nhello\0"));
 * } catch (e) {
 *   if (e instanceof StompFrameTooLargeError) console.log(e.limit, e.frame.headers["message-id"]); // "maxBodyBytes" "7"
 * }
 * ```
 */
export class StompFrameTooLargeError extends StompFrameError {
  /** The frame's command and headers; the body was not kept. */
  readonly frame: StompFrame;
  /** The body's size when the frame declared it (content-length); undefined when it had none. */
  readonly bodyBytes?: number;
  /** Builds the error; `limit` names the exceeded limit, `frame` holds the headers. */
  constructor(
    message: string,
    options: ErrorOptions & { limit: string; frame: StompFrame; bodyBytes?: number; queuedBefore?: number },
  ) {
    super(message, options);
    this.frame = options.frame;
    this.bodyBytes = options.bodyBytes;
  }
}
