/**
 * One-shot parsing, as stompest's stomper `unpack_frame`: the bytes of exactly one frame in, the
 * frame out. Also behind {@link StompFrame.fromBytes} (registered here: the parser builds frames,
 * so frame.ts cannot import it).
 *
 * @module
 */

import { StompFrameError } from "../errors.ts";
import { registerUnpack, StompFrame } from "./frame.ts";
import { StompParser } from "./parser.ts";
import { DEFAULT_VERSION, type StompVersion } from "./spec.ts";

const encoder = new TextEncoder();

/**
 * Parses the wire bytes (or text) of exactly one frame with `version`'s rules (default 1.2);
 * heart-beat EOLs around it are allowed. Anything else — no frame, a cut-off one, a second one, a
 * malformed one — is a {@link StompFrameError}.
 *
 * @example
 * ```ts
 * import { unpackFrame } from "./unpack.ts";
 * const frame = unpackFrame("MESSAGE\ndestination:/queue/a\nmessage-id:1\nsubscription:0\n\nhi\0");
 * console.log(frame.command, frame.text()); // "MESSAGE" "hi"
 * ```
 */
export function unpackFrame(bytes: Uint8Array | string, version: StompVersion = DEFAULT_VERSION): StompFrame {
  const parser = new StompParser(version);
  parser.add(typeof bytes === "string" ? encoder.encode(bytes) : bytes);
  if (parser.pending) throw new StompFrameError("unpack: the bytes end inside a frame");
  let frame: StompFrame | undefined;
  while (parser.canRead()) {
    const item = parser.get();
    if (!(item instanceof StompFrame)) continue; // a heart-beat
    if (frame) {
      throw new StompFrameError(`unpack: more than one frame (${frame.info()}, then ${item.info()})`);
    }
    frame = item;
  }
  if (!frame) throw new StompFrameError("unpack: no frame in the bytes");
  return frame;
}

registerUnpack(unpackFrame);
