/**
 * Raw STOMP over TCP and TLS with `node:net` / `node:tls`: Node, Bun, and Deno's Node compatibility
 * layer. Never imported by the browser entry.
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";
import { StompConnectionError, StompTlsHandshakeError } from "../../errors.ts";
import type { StompConnection, StompConnector } from "../transport.ts";
import { brokerUri } from "../../protocol/broker.ts";
import {
  connectionError,
  firstEvent,
  openWithin,
  pushSource,
  refusedHandshake,
  settleWithin,
  tlsError,
} from "./common.ts";
import { type ByteSink, LISTEN, type ListeningConnection } from "../byte_sink.ts";
import { describeTlsSocket } from "./node_tls.ts";

const TLS_RANK: Readonly<Record<string, number>> = { "TLSv1": 0, "TLSv1.1": 1, "TLSv1.2": 2, "TLSv1.3": 3 };

/** How long `close` waits for the peer to finish the TCP close before dropping the socket. */
const CLOSE_GRACE_MS = 1000;

/**
 * `tcp://` and `ssl://` brokers through Node sockets. TLS trusts `options.tls.caCerts` (instead of
 * the system store when given) and verifies `options.tls.hostname ?? broker.host` (SNI is sent for
 * host names, not for IP addresses). An `ssl://` connection reports what it negotiated as its
 * `tls` ({@link StompConnection.tls}: protocol, cipher, the broker's certificate).
 *
 * @example
 * ```ts ignore
 * import { nodeConnector } from "./node.ts";
 * const conn = await nodeConnector({ protocol: "tcp", host: "127.0.0.1", port: 61613 }, { connectTimeout: 5000 });
 * await conn.close();
 * ```
 */
export const nodeConnector: StompConnector = (broker, options): Promise<StompConnection> => {
  const uri = brokerUri(broker);
  if (broker.protocol !== "tcp" && broker.protocol !== "ssl") {
    return Promise.reject(
      new StompConnectionError(`${uri}: the Node TCP connector handles tcp:// and ssl:// only`),
    );
  }
  return openWithin(uri, options, async (giveUp) => {
    let socket: net.Socket;
    let reads: DirectReads | undefined;
    if (broker.protocol === "ssl") {
      const options_ = options.tls ?? {};
      const name = options_.hostname ?? broker.host;
      const caCerts = options_.caCerts;
      socket = tls.connect({
        host: broker.host,
        port: broker.port,
        // Instead of the system store, as in Deno (tls.rootCertificates needs --allow-sys there).
        ca: caCerts ? [...caCerts] : undefined,
        cert: options_.cert,
        key: options_.key,
        minVersion: options_.minVersion ?? "TLSv1.2",
        servername: net.isIP(name) ? undefined : name,
        checkServerIdentity: options_.insecure
          ? () => undefined
          : (_host, cert) => tls.checkServerIdentity(name, cert),
        rejectUnauthorized: !options_.insecure,
      });
    } else {
      reads = new DirectReads();
      socket = net.connect({ host: broker.host, port: broker.port, onread: reads.onread });
    }
    // Listeners first: an 'error' emitted while nothing listens would be thrown at the process.
    const connection = nodeConnection(socket, uri, broker.protocol === "ssl", reads);
    const abandon = () => socket.destroy();
    giveUp.addEventListener("abort", abandon);
    try {
      const ready = broker.protocol === "ssl" ? "secureConnect" : "connect";
      const first = await firstEvent(socket, [ready, "error", "close"]);
      if (first.name !== ready) {
        socket.destroy();
        if (broker.protocol === "ssl" && first.name === "error") throw tlsError(uri, first.value);
        throw first.name === "error" ? first.value : new Error("closed while connecting");
      }
      // Checked here too: a runtime's TLS layer may not honour minVersion (Deno's Node layer).
      const version = broker.protocol === "ssl" ? (socket as tls.TLSSocket).getProtocol() : null;
      const floor = options.tls?.minVersion;
      if (floor && version && TLS_RANK[version] !== undefined && TLS_RANK[version] < TLS_RANK[floor]) {
        socket.destroy();
        throw new StompTlsHandshakeError(`${uri}: the broker negotiated ${version}, below ${floor}`);
      }
    } finally {
      giveUp.removeEventListener("abort", abandon);
    }
    if (broker.protocol !== "ssl") return connection;
    const described = describeTlsSocket(socket as tls.TLSSocket, options.tls?.insecure === true);
    // Read now, while the socket is open: a certificate is not available after it closed.
    return described
      ? Object.defineProperty(connection, "tls", { value: described, enumerable: true })
      : connection;
  });
};

/** Bytes per read into our own buffer (Node's own reads allocate 64 KiB each). */
const READ_BYTES = 64 * 1024;
/** As in the Deno connector: the rest of a body this long is read into the body itself. */
const DIRECT_READ_BYTES = READ_BYTES;

/**
 * Reads into buffers of ours (`onread`, plain TCP: Node's TLS sockets ignore it): one reused
 * buffer, or the rest of a large body of known length, so a body costs no copy and a read no
 * allocation. Node asks for the next buffer right after each callback, once the parser took the
 * chunk, so the body's room is current. Without a listening sink (someone reads `readable`, or
 * nothing reads yet) each chunk is copied, since the buffer is reused.
 */
class DirectReads {
  readonly #buffer = new Uint8Array(READ_BYTES);
  #room: Uint8Array | undefined;
  /** The channel's sink, once it listens. */
  sink: ByteSink | undefined;
  /** Where chunks go without a sink (copies). */
  fallback: (bytes: Uint8Array) => void = () => {};
  readonly onread = {
    buffer: (): Uint8Array => {
      const sink = this.sink, room = sink?.filled ? sink.room?.() : undefined;
      this.#room = room !== undefined && room.length >= DIRECT_READ_BYTES ? room : undefined;
      return this.#room ?? this.#buffer;
    },
    // Never false: that would pause the socket, which stays flowing (see channel.ts).
    callback: (n: number, buf: Uint8Array): boolean => {
      if (buf === this.#room) this.sink!.filled!(n);
      else if (this.sink) this.sink.data(buf.subarray(0, n));
      else this.fallback(buf.slice(0, n));
      return true;
    },
  };
}

/**
 * An open Node socket as a {@link StompConnection} (also used by the test broker's Node listener for
 * the sockets it accepts).
 *
 * @example
 * ```ts ignore
 * import * as net from "node:net";
 * import { nodeConnection } from "./node.ts";
 * const socket = net.connect({ host: "127.0.0.1", port: 61613 });
 * socket.once("connect", () => nodeConnection(socket, "tcp://127.0.0.1:61613").close());
 * ```
 */
export function nodeConnection(
  socket: net.Socket,
  uri: string,
  tls = false,
  reads?: DirectReads,
): ListeningConnection {
  let closing = false;
  let received = false;
  socket.setNoDelay(true);
  // `data` events go straight into the channel's parser once it listens (or into `readable`).
  const stream = pushSource(() => {
    closing = true;
    socket.destroy();
  });
  // Flowing mode for good: the socket is never paused, whatever the reader does (see channel.ts).
  // Without `onread` (TLS, an accepted socket, a runtime that ignores it) chunks come as 'data'.
  socket.on("data", (chunk: Uint8Array) => {
    // A plain view: Buffer's slice() shares memory where Uint8Array's copies.
    received = true;
    stream.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  if (reads) reads.fallback = (bytes) => stream.push(bytes);
  socket.on("end", () => stream.end());
  socket.on(
    "error",
    (error) =>
      stream.end(
        closing
          ? undefined
          // A broker that refuses our client certificate says so after a TLS 1.3 client's handshake.
          : tls && !received && refusedHandshake(error)
          ? tlsError(uri, error)
          : connectionError(uri, "connection lost", error),
      ),
  );
  socket.on("close", () => stream.end());
  const gone = () => new StompConnectionError(`${uri}: connection closed`);
  // Several chunks corked into one gathered write (writev); resolves on the last one's callback.
  const writeAll = (chunks: readonly Uint8Array[]): Promise<void> => {
    if (closing || socket.destroyed || !socket.writable) return Promise.reject(gone());
    return new Promise((resolve, reject) => {
      const last = chunks.length - 1;
      if (last > 0) socket.cork();
      for (let i = 0; i < last; i++) socket.write(chunks[i]);
      socket.write(chunks[last], (error) => {
        if (error) return reject(connectionError(uri, "write failed", error));
        // 'drain' is emitted before write callbacks run: still needing it means more is queued.
        // These bytes are out either way; a close while waiting fails the next write instead.
        if (!socket.writableNeedDrain) resolve();
        else firstEvent(socket, ["drain", "close"]).then(() => resolve());
      });
      if (last > 0) socket.uncork();
    });
  };
  return {
    get readable() {
      return stream.readable;
    },
    [LISTEN](sink: ByteSink) {
      stream[LISTEN](sink);
      if (reads) reads.sink = sink;
    },
    messageFramed: false,
    info: uri,
    write(bytes: Uint8Array): Promise<void> {
      return writeAll([bytes]);
    },
    writev: writeAll,
    close(): Promise<void> {
      closing = true;
      if (socket.destroyed) return Promise.resolve();
      const closed = firstEvent(socket, ["close"]);
      socket.end();
      stream.end();
      // The FIN is on its way; drop the socket if the peer does not finish the close in time,
      // without making the caller wait for that (a failed connect must not outlast its timeout).
      settleWithin(closed, CLOSE_GRACE_MS).then((done) => done || socket.destroy());
      return Promise.resolve();
    },
  };
}
