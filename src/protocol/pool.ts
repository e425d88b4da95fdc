/**
 * Small byte buffers carved out of shared slabs, as Node's Buffer pool does: under Deno every
 * `new Uint8Array(n)` costs ~0.3–0.7 µs however small (its typed arrays live off the V8 heap), while
 * a view into an existing ArrayBuffer costs ~20 ns. A view keeps its slab alive, so only small
 * allocations are pooled and a slab is never larger than {@link SLAB_BYTES}. Slab memory is never
 * handed out twice, so a view stays valid (and unchanged) for as long as its owner keeps it; but
 * its `buffer` is the whole slab, so code must use the view's own bytes, never `view.buffer`.
 *
 * @module
 */

/**
 * Size of one slab.
 *
 * @example
 * ```ts
 * import { SLAB_BYTES } from "./pool.ts";
 * console.log(SLAB_BYTES); // 65536
 * ```
 */
export const SLAB_BYTES = 64 * 1024;

/**
 * Larger requests get their own buffer.
 *
 * @example
 * ```ts
 * import { allocate, POOLED_MAX } from "./pool.ts";
 * console.log(allocate(POOLED_MAX + 1).byteOffset); // 0: a buffer of its own
 * ```
 */
export const POOLED_MAX = 4 * 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let slabBytes = new Uint8Array(slab);
let offset = 0;
const encoder = new TextEncoder();
/** Where large frames' header text is encoded before its exact size is known; grown on demand. */
let scratch = new Uint8Array(4096);

function newSlab(): void {
  slab = new ArrayBuffer(SLAB_BYTES);
  slabBytes = new Uint8Array(slab);
  offset = 0;
}

/**
 * A fresh, zero-filled, writable `Uint8Array` of `n` bytes that no one else sees. Its
 * `buffer` may be shared with other small arrays, so never widen a view past its own bytes.
 *
 * @example
 * ```ts
 * import { allocate } from "./pool.ts";
 * const bytes = allocate(100);
 * console.log(bytes.length); // 100
 * ```
 */
export function allocate(n: number): Uint8Array {
  if (n > POOLED_MAX) return new Uint8Array(n);
  if (offset + n > SLAB_BYTES) newSlab();
  const view = new Uint8Array(slab, offset, n);
  // Keep views 8-byte aligned so a later Float64Array/DataView over a body stays cheap.
  offset = (offset + n + 7) & ~7;
  return view;
}

/**
 * A copy of `source[start, end)` in a pooled buffer: the one copy a parsed body gets.
 *
 * @example
 * ```ts
 * import { copyOf } from "./pool.ts";
 * const part = copyOf(new Uint8Array([1, 2, 3, 4]), 1, 3); // Uint8Array [2, 3]
 * ```
 */
export function copyOf(source: Uint8Array, start: number, end: number): Uint8Array {
  const out = allocate(end - start);
  out.set(source.subarray(start, end));
  return out;
}

/**
 * `text` encoded as UTF-8, then `tail`, then one NUL, in one fresh array: a frame's wire bytes
 * from its header block and body. Small frames are encoded straight into a slab, so the only
 * allocation is the view returned.
 *
 * @example
 * ```ts
 * import { encodeFrame } from "./pool.ts";
 * const wire = encodeFrame("SEND\ndestination:/q\n\n", new TextEncoder().encode("hi"));
 * console.log(wire.length); // 25
 * ```
 */
export function encodeFrame(text: string, tail: Uint8Array): Uint8Array {
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so this bound is safe before encoding.
  const bound = text.length * 3 + tail.length + 1;
  let out: Uint8Array, written: number;
  if (bound <= POOLED_MAX) {
    if (offset + bound > SLAB_BYTES) newSlab();
    written = encoder.encodeInto(text, offset === 0 ? slabBytes : slabBytes.subarray(offset)).written;
    const n = written + tail.length + 1;
    out = new Uint8Array(slab, offset, n);
    offset = (offset + n + 7) & ~7;
  } else {
    if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
    written = encoder.encodeInto(text, scratch).written;
    out = new Uint8Array(written + tail.length + 1);
    out.set(written === scratch.length ? scratch : scratch.subarray(0, written));
  }
  out.set(tail, written);
  out[written + tail.length] = 0;
  return out;
}

/**
 * `text` as UTF-8 bytes. A short text is encoded straight into a slab (under Deno a fresh
 * `TextEncoder.encode` array costs more than the encoding itself); a long one gets its own array.
 *
 * @example
 * ```ts
 * import { encodeText } from "./pool.ts";
 * console.log(encodeText("héllo").length); // 6
 * ```
 */
export function encodeText(text: string): Uint8Array {
  const bound = text.length * 3;
  if (bound > POOLED_MAX) return encoder.encode(text);
  if (offset + bound > SLAB_BYTES) newSlab();
  const written = encoder.encodeInto(text, offset === 0 ? slabBytes : slabBytes.subarray(offset)).written;
  const view = new Uint8Array(slab, offset, written);
  offset = (offset + written + 7) & ~7;
  return view;
}
