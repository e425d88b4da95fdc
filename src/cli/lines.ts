/**
 * Byte streams as lines, without decoding: `send --lines` sends each line's exact bytes.
 *
 * @module
 */

/**
 * Splits chunks at `\n` and yields each line's bytes without it (a `\r` before it is kept: it is
 * part of the line's bytes). A last line without `\n` is yielded too; an input ending in `\n` has
 * no empty line after it. Only an unfinished line is held, so memory stays at one line plus a chunk.
 *
 * @example
 * ```ts
 * import { lines } from "./lines.ts";
 * const input = [new TextEncoder().encode("a\nb"), new TextEncoder().encode("c\n")];
 * for await (const line of lines(input)) console.log(new TextDecoder().decode(line)); // "a", "bc"
 * ```
 */
export async function* lines(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      if (pendingLength === 0) {
        yield piece.slice();
      } else {
        yield join([...pending, piece], pendingLength + piece.length);
        pending = [];
        pendingLength = 0;
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      // The runtime may reuse its read buffer: keep a copy.
      pending.push(chunk.slice(start));
      pendingLength += chunk.length - start;
    }
  }
  if (pendingLength > 0) yield join(pending, pendingLength);
}

function join(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Every chunk of a stream joined into one array.
 *
 * @example
 * ```ts
 * import { readAll } from "./lines.ts";
 * console.log((await readAll([new Uint8Array([1]), new Uint8Array([2, 3])])).length); // 3
 * ```
 */
export async function readAll(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(chunk.slice());
    length += chunk.length;
  }
  return join(parts, length);
}
