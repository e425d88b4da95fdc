/**
 * The test broker's TCP listener on Deno (`Deno.listen`), and the wrapper from a `Deno.Conn` to
 * a {@link StompConnection}. The only file of the test broker that touches a runtime API.
 *
 * @module
 */

import { StompConnectionError } from "../errors.ts";
import type { StompConnection } from "../connection/transport.ts";
import type { StompTestListen } from "./listener.ts";

const READ_BYTES = 64 * 1024;

/**
 * A `Deno.Conn` as a {@link StompConnection}. A read pending when the connection is closed locally
 * ends the readable (EOF) instead of erroring it.
 *
 * @example
 * ```ts
 * import { denoConnection } from "./listen_deno.ts";
 * const conn = denoConnection(await Deno.connect({ hostname: "127.0.0.1", port: 61613 }), "tcp://127.0.0.1:61613");
 * await conn.close();
 * ```
 */
export function denoConnection(conn: Deno.Conn, info: string): StompConnection {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch {
      // Already closed by the runtime.
    }
  };
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buf = new Uint8Array(READ_BYTES);
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (cause) {
        if (closed) controller.close();
        else controller.error(new StompConnectionError(`${info}: read failed`, { cause }));
        return;
      }
      if (n === null) controller.close();
      else controller.enqueue(buf.subarray(0, n));
    },
    cancel: close,
  });
  return {
    readable,
    messageFramed: false,
    info,
    async write(bytes: Uint8Array): Promise<void> {
      if (closed) throw new StompConnectionError(`${info}: connection closed`);
      try {
        for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
      } catch (cause) {
        throw new StompConnectionError(`${info}: write failed`, { cause });
      }
    },
    close(): Promise<void> {
      close();
      return Promise.resolve();
    },
  };
}

/**
 * Listens with `Deno.listen` (needs `--allow-net`).
 *
 * @example
 * ```ts
 * import { listenDeno } from "./listen_deno.ts";
 * const listener = await listenDeno({ hostname: "127.0.0.1", port: 0 }, (conn) => conn.close());
 * console.log(listener.port > 0); // true
 * await listener.close();
 * ```
 */
export const listenDeno: StompTestListen = (address, accept) => {
  const listener = Deno.listen({ hostname: address.hostname, port: address.port, transport: "tcp" });
  const { hostname, port } = listener.addr;
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        conn.setNoDelay(true);
        const remote = conn.remoteAddr;
        accept(denoConnection(conn, `tcp://${hostname}:${port} <- ${remote.hostname}:${remote.port}`));
      }
    } catch {
      // The listener was closed.
    }
  })();
  let closing: Promise<void> | undefined;
  return Promise.resolve({
    hostname,
    port,
    close(): Promise<void> {
      return closing ??= (async () => {
        try {
          listener.close();
        } catch {
          // Already closed.
        }
        await loop;
      })();
    },
  });
};
