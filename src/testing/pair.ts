/**
 * An in-memory connection pair: two {@link StompConnection} ends joined without sockets, so a
 * client and the test broker can talk inside one process on any runtime.
 *
 * @module
 */

import { StompConnectionError } from "../errors.ts";
import type { StompConnection } from "../connection/transport.ts";

/**
 * Two connected ends: what one writes the other reads. Closing either end closes both: each side
 * still reads what was written before, then sees EOF. Writes never block (the pair buffers without
 * bound, which is fine for a test double), and copy the bytes, so the writer may reuse its buffer.
 *
 * @example
 * ```ts
 * import { memoryPair } from "./pair.ts";
 * const [client, server] = memoryPair("tcp://test:1");
 * await client.write(new TextEncoder().encode("hello"));
 * const { value } = await server.readable.getReader().read(); // the 5 bytes
 * await client.close();
 * ```
 */
export function memoryPair(info: string): [StompConnection, StompConnection] {
  const controllers: ReadableStreamDefaultController<Uint8Array>[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const controller of controllers) {
      try {
        controller.close();
      } catch {
        // Already closed or cancelled by its reader: nothing left to end.
      }
    }
  };
  const end = (side: string, peer: () => ReadableStreamDefaultController<Uint8Array>): StompConnection => {
    const readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        controllers.push(controller);
      },
      // A reader that gives up ends the conversation, as a socket closed by its owner would.
      cancel: close,
    });
    return {
      readable,
      messageFramed: false,
      info: `${info} (in-memory, ${side})`,
      write(bytes: Uint8Array): Promise<void> {
        if (closed) return Promise.reject(new StompConnectionError(`${info}: connection closed`));
        peer().enqueue(bytes.slice());
        return Promise.resolve();
      },
      close(): Promise<void> {
        close();
        return Promise.resolve();
      },
    };
  };
  const client = end("client", () => controllers[1]);
  const server = end("server", () => controllers[0]);
  return [client, server];
}
