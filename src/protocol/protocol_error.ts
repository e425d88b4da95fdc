/**
 * The error for a frame that is valid on the wire but wrong in the conversation; it carries the
 * broker's ERROR frame when there is one, which is why it lives above frame.ts and not in errors.ts.
 *
 * @module
 */

import { StompError } from "../errors.ts";
import type { StompFrame } from "./frame.ts";

/**
 * A frame that is valid on the wire but wrong in the conversation: an ERROR frame from the broker
 * (`frame` holds it), an unexpected RECEIPT, a call out of state, a bad negotiation.
 *
 * @example
 * ```ts
 * import { StompProtocolError } from "./protocol_error.ts";
 * const e = new StompProtocolError("not connected");
 * console.log(e.frame); // undefined: no ERROR frame behind this one
 * ```
 */
export class StompProtocolError extends StompError {
  /** The ERROR frame the broker sent, when that is the reason. */
  readonly frame?: StompFrame;
  /** Builds the error; `frame` is the broker's ERROR frame, if any. */
  constructor(message: string, options?: ErrorOptions & { frame?: StompFrame }) {
    super(message, options);
    this.frame = options?.frame;
  }
}
