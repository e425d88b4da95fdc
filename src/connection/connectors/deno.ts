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
import { connectionError, openWithin, refusedHandshake, tlsError } from "./common.ts";
import { type ByteSink, LISTEN, type ListeningConnection } from "../byte_sink.ts";
import { createWebSocketConnector } from "./websocket.ts";

/**
 * `tcp://` and `ssl://` brokers through Deno's sockets. TLS trusts `options.tls.caCerts` (instead of
 * the system store when given) and verifies `options.tls.hostname ?? broker.host` (an IP address
 * is checked against the certificate's IP entries). Needs `--allow-net`. Its connections report no
 * `tls` summary: `Deno.TlsConn` exposes neither the certificate nor the cipher or version (those
 * it hands to `node:tls`, for `tls.insecure` or `tls.minVersion`, do). Pass `nodeConnector` for
 * `ssl://` to get `client.tls` under Deno.
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
  const tls = options.tls;
  // Deno's TLS API can neither skip verification nor set a version floor: node:tls (Deno's Node
  // layer) can, and checks the negotiated version itself.
  if (broker.protocol === "ssl" && (tls?.insecure || tls?.minVersion)) {
    return import("./node.ts").then(({ nodeConnector }) => nodeConnector(broker, options));
  }
  return openWithin(uri, options, async (giveUp) => {
    if (broker.protocol === "ssl" && tls?.cert !== undefined) {
      // A client certificate is offered only by connectTls, which connects and verifies one name.
      if (tls.hostname !== undefined && tls.hostname !== broker.host) {
        throw new StompConnectionError(
          `${uri}: Deno cannot verify tls.hostname ${tls.hostname} while sending a client certificate`,
        );
      }
      const conn = await Deno.connectTls({
        hostname: broker.host,
        port: broker.port,
        caCerts: tls.caCerts ? [...tls.caCerts] : undefined,
        cert: tls.cert,
        key: tls.key ?? "",
      });
      const abandon = () => closeQuietly(conn);
      giveUp.addEventListener("abort", abandon);
      try {
        await handshake(conn, uri);
      } catch (error) {
        closeQuietly(conn);
        throw error;
      } finally {
        giveUp.removeEventListener("abort", abandon);
      }
      return denoConnection(conn, uri, true);
    }
    const tcp = await Deno.connect({ hostname: broker.host, port: broker.port, signal: giveUp });
    let conn: Deno.Conn = tcp;
    // A TLS server that never answers must not keep the handshake (and the socket) alive.
    const abandon = () => closeQuietly(conn);
    giveUp.addEventListener("abort", abandon);
    try {
      tcp.setNoDelay(true);
      if (broker.protocol === "ssl") {
        const tlsConn = await Deno.startTls(tcp, {
          hostname: tls?.hostname ?? broker.host,
          caCerts: tls?.caCerts ? [...tls.caCerts] : undefined,
        });
        conn = tlsConn;
        await handshake(tlsConn, uri);
      }
    } catch (error) {
      closeQuietly(conn);
      throw error;
    } finally {
      giveUp.removeEventListener("abort", abandon);
    }
    return denoConnection(conn, uri, broker.protocol === "ssl");
  });
};

/** Runs the (lazy) handshake now so a bad certificate fails the connect, not a read. */
async function handshake(conn: Deno.TlsConn, uri: string): Promise<void> {
  try {
    await conn.handshake();
  } catch (error) {
    throw tlsError(uri, error);
  }
}

/**
 * `ws://` and `wss://` brokers through Deno's WebSocket, with `options.tls.caCerts` trusted and
 * `tls.cert`/`tls.key` offered for `wss://` (an `HttpClient` per connection, closed with it).
 * `tls.hostname` cannot be applied: the URL's host is verified; `tls.insecure` cannot either.
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
  if (!url.startsWith("wss:") || !tls) return { socket: new WebSocket(url, protocols) };
  if (tls.insecure) {
    throw new StompConnectionError(
      `${url}: Deno's WebSocket cannot skip certificate checks per connection (tls.insecure); ` +
        "run Deno with --unsafely-ignore-certificate-errors=<host> instead",
    );
  }
  if (!tls.caCerts && tls.cert === undefined) return { socket: new WebSocket(url, protocols) };
  const caCerts = tls.caCerts ? [...tls.caCerts] : undefined;
  const client = tls.cert === undefined
    ? Deno.createHttpClient({ caCerts })
    : Deno.createHttpClient({ caCerts, cert: tls.cert, key: tls.key ?? "" });
  return { socket: new WebSocket(url, { protocols, client }), dispose: () => closeQuietly(client) };
});

/** Bytes read per `conn.read`: the parser copies what it keeps, so one buffer serves every read. */
const READ_BYTES = 64 * 1024;
/**
 * The rest of a body at least this long is read straight into the body (no copy). A shorter rest
 * goes through the shared buffer, where one read takes it with the NUL and the frames after it:
 * read into the body, it would cost one more read. From a full buffer up, it never does.
 */
export const DIRECT_READ_BYTES = READ_BYTES;

/**
 * An open Deno socket as a {@link StompConnection} (exported for the tests, which read through it
 * from a scripted `Deno.Conn`).
 *
 * @example
 * ```ts ignore
 * import { denoConnection } from "./deno.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 61613 });
 * await denoConnection(conn, "tcp://127.0.0.1:61613", false).close();
 * ```
 */
export function denoConnection(conn: Deno.Conn, uri: string, tls: boolean): ListeningConnection {
  let closed = false;
  let reading = false;
  let received = false;
  // A broker that refuses our client certificate says so after a TLS 1.3 client's handshake: the
  // first read fails, and that failure is the handshake's.
  const readError = (error: unknown) =>
    tls && !received && refusedHandshake(error)
      ? tlsError(uri, error)
      : connectionError(uri, "connection lost", error);
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
      // A large body of known length is read into its own bytes (BYOB): it is copied by no one.
      const room = sink.room?.();
      const direct = room !== undefined && room.length >= DIRECT_READ_BYTES && sink.filled !== undefined;
      let n: number | null;
      try {
        n = await conn.read(direct ? room : buffer);
      } catch (error) {
        return sink.end(closed ? undefined : readError(error));
      }
      if (n === null) return sink.end();
      received = true;
      if (direct) sink.filled!(n);
      else sink.data(buffer.subarray(0, n));
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
            else {
              received = true;
              controller.enqueue(buffer.subarray(0, n));
            }
          } catch (error) {
            if (cancelled) return;
            if (closed) controller.close();
            else controller.error(readError(error));
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
