/**
 * Raw STOMP over TCP and TLS in Deno (`Deno.connect` + `Deno.startTls`), and WebSocket-STOMP with
 * the TLS settings applied (`Deno.createHttpClient`). `Deno` is only touched when connecting, so
 * loading this module elsewhere is harmless.
 *
 * @module
 */

import { StompConnectionError } from "../../errors.ts";
import type { StompConnection, StompConnector } from "../transport.ts";
import { brokerUri } from "../../protocol/broker.ts";
import { connectionError, openWithin } from "./common.ts";
import { type ByteSink, LISTEN, type ListeningConnection } from "../byte_sink.ts";
import { createWebSocketConnector } from "./websocket.ts";

/**
 * `tcp://` and `ssl://` brokers through Deno's sockets. TLS trusts `options.tls.caCerts` (instead of
 * the system store when given) and verifies `options.tls.hostname ?? broker.host` (an IP address
 * is checked against the certificate's IP entries). Needs `--allow-net`.
 *
 * @example
 * ```ts ignore
 * import { denoConnector } from "./deno.ts";
 * const conn = await denoConnector({ protocol: "tcp", host: "127.0.0.1", port: 61613 }, { connectTimeout: 5000 });
 * await conn.close();
 * ```
 */
export const denoConnector: StompConnector = (broker, options): Promise<StompConnection> => {
  const uri = brokerUri(broker);
  if (broker.protocol !== "tcp" && broker.protocol !== "ssl") {
    return Promise.reject(
      new StompConnectionError(`${uri}: the Deno TCP connector handles tcp:// and ssl:// only`),
    );
  }
  return openWithin(uri, options, async (giveUp) => {
    const tcp = await Deno.connect({ hostname: broker.host, port: broker.port, signal: giveUp });
    let conn: Deno.Conn = tcp;
    // A TLS server that never answers must not keep the handshake (and the socket) alive.
    const abandon = () => closeQuietly(conn);
    giveUp.addEventListener("abort", abandon);
    try {
      tcp.setNoDelay(true);
      if (broker.protocol === "ssl") {
        const tls = await Deno.startTls(tcp, {
          hostname: options.tls?.hostname ?? broker.host,
          caCerts: options.tls?.caCerts ? [...options.tls.caCerts] : undefined,
        });
        conn = tls;
        // The handshake is lazy; run it now so a bad certificate fails the connect, not a read.
        await tls.handshake();
      }
    } catch (error) {
      closeQuietly(conn);
      throw error;
    } finally {
      giveUp.removeEventListener("abort", abandon);
    }
    return denoConnection(conn, uri);
  });
};

/**
 * `ws://` and `wss://` brokers through Deno's WebSocket, with `options.tls.caCerts` trusted for
 * `wss://` (an `HttpClient` per connection, closed with it). `tls.hostname` cannot be applied: the
 * URL's host is verified.
 *
 * @example
 * ```ts ignore
 * import { denoWebSocketConnector } from "./deno.ts";
 * const ca = await Deno.readTextFile("/etc/stomp-test-tls/ca.pem");
 * const broker = { protocol: "wss", host: "127.0.0.1", port: 15673, path: "/ws" } as const;
 * const conn = await denoWebSocketConnector(broker, { tls: { caCerts: [ca] } });
 * await conn.close();
 * ```
 */
export const denoWebSocketConnector: StompConnector = createWebSocketConnector((url, protocols, tls) => {
  if (!url.startsWith("wss:") || !tls?.caCerts) return { socket: new WebSocket(url, protocols) };
  const client = Deno.createHttpClient({ caCerts: [...tls.caCerts] });
  return { socket: new WebSocket(url, { protocols, client }), dispose: () => closeQuietly(client) };
});

/** Bytes read per `conn.read`: the parser copies what it keeps, so one buffer serves every read. */
const READ_BYTES = 64 * 1024;

function denoConnection(conn: Deno.Conn, uri: string): ListeningConnection {
  let closed = false;
  let reading = false;
  const close = () => {
    if (closed) return;
    closed = true;
    closeQuietly(conn);
  };
  const startReading = () => {
    if (reading) throw new StompConnectionError(`${uri}: the connection is already being read`);
    reading = true;
  };
  // `conn.read` straight into one reused buffer: no stream machinery on the hot path. A read
  // error after our own close() is the end of the stream rather than a failure.
  const pump = async (sink: ByteSink) => {
    const buffer = new Uint8Array(READ_BYTES);
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (error) {
        return sink.end(closed ? undefined : connectionError(uri, "connection lost", error));
      }
      if (n === null) return sink.end();
      sink.data(buffer.subarray(0, n));
    }
  };
  let readable: ReadableStream<Uint8Array> | undefined;
  // Written in order: a write may take several `conn.write` calls, which must not interleave.
  let tail: Promise<void> = Promise.resolve();
  const writeAll = async (bytes: Uint8Array) => {
    for (let at = 0; at < bytes.length;) at += await conn.write(at === 0 ? bytes : bytes.subarray(at));
  };
  return {
    [LISTEN](sink: ByteSink) {
      startReading();
      pump(sink);
    },
    get readable(): ReadableStream<Uint8Array> {
      if (readable) return readable;
      startReading();
      // Pulled, not pushed: the socket is read exactly as fast as the reader reads.
      let cancelled = false;
      return readable = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const buffer = new Uint8Array(READ_BYTES);
          try {
            const n = await conn.read(buffer);
            if (cancelled) return;
            if (n === null) controller.close();
            else controller.enqueue(buffer.subarray(0, n));
          } catch (error) {
            if (cancelled) return;
            if (closed) controller.close();
            else controller.error(connectionError(uri, "connection lost", error));
          }
        },
        cancel() {
          cancelled = true;
          close();
        },
      }, { highWaterMark: 0 });
    },
    messageFramed: false,
    info: uri,
    write(bytes: Uint8Array): Promise<void> {
      if (closed) return Promise.reject(new StompConnectionError(`${uri}: connection closed`));
      const done = tail.then(() => writeAll(bytes)).catch((error) => {
        throw connectionError(uri, closed ? "connection closed" : "write failed", error);
      });
      tail = done.catch(() => {});
      return done;
    },
    close(): Promise<void> {
      close();
      return Promise.resolve();
    },
  };
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Already closed: nothing left to release.
  }
}
