/**
 * The small interface between the clients and the runtime: a connector turns a broker address into
 * a byte connection. Connectors know bytes, never frames.
 *
 * @module
 */

import type { StompBroker } from "../protocol/broker.ts";
import type { StompTlsInfo } from "./tls_info.ts";

/**
 * TLS settings for `ssl://` and `wss://` brokers.
 *
 * @example
 * ```ts
 * import type { StompTlsOptions } from "./transport.ts";
 * const tls: StompTlsOptions = { caCerts: ["-----BEGIN CERTIFICATE-----\n..."] };
 * ```
 */
export interface StompTlsOptions {
  /** PEM CA certificates to trust instead of the system store (Deno and Node alike). */
  readonly caCerts?: readonly string[];
  /** The name the server certificate must carry; defaults to the broker's host. */
  readonly hostname?: string;
  /**
   * PEM client certificate (chain) for brokers that require one (mutual TLS); needs `key`. Deno
   * (`ssl://` and `wss://`) and Node (`ssl://`); a browser takes client certificates from the user.
   */
  readonly cert?: string;
  /** PEM private key of `cert` (RSA, EC or PKCS#8), unencrypted. Never printed. */
  readonly key?: string;
  /**
   * Development only: do not verify the server's certificate or name. Every connection made so
   * warns through the trace hook, and the config's `info()` says `tls=INSECURE`. Default false.
   * Deno's `wss://` cannot do it per connection (run Deno with `--unsafely-ignore-certificate-errors`).
   */
  readonly insecure?: boolean;
  /** The lowest TLS version accepted: "TLSv1.2" (the default: what every runtime here allows) or "TLSv1.3". */
  readonly minVersion?: StompTlsVersion;
}

/**
 * A TLS protocol version for {@link StompTlsOptions.minVersion}.
 *
 * @example
 * ```ts
 * import type { StompTlsVersion } from "./transport.ts";
 * const strict: StompTlsVersion = "TLSv1.3";
 * ```
 */
export type StompTlsVersion = "TLSv1.2" | "TLSv1.3";

/**
 * A WebSocket implementation for runtimes without a global one (Node 20: the `ws` package): a
 * constructor taking `(url, protocols)`, or a function returning a socket. The socket must offer
 * the standard interface (`addEventListener`, `send`, `close`, `readyState`, `bufferedAmount`,
 * `binaryType`), as `ws` does.
 *
 * @example
 * ```ts ignore
 * import WebSocket from "ws";
 * import type { StompWebSocketImpl } from "./transport.ts";
 * const impl: StompWebSocketImpl = WebSocket;
 * const wrapped: StompWebSocketImpl = (url, protocols) => new WebSocket(url, protocols, { maxPayload: 1 << 20 });
 * ```
 */
export type StompWebSocketImpl =
  | (new (url: string, protocols: string[]) => unknown)
  | ((url: string, protocols: string[]) => unknown);

/**
 * What a connector gets besides the broker.
 *
 * @example
 * ```ts
 * import type { StompConnectorOptions } from "./transport.ts";
 * const options: StompConnectorOptions = { connectTimeout: 5000, versions: ["1.2"] };
 * ```
 */
export interface StompConnectorOptions {
  /** TLS settings (ssl/wss). */
  readonly tls?: StompTlsOptions;
  /** Milliseconds to establish the connection (TCP + TLS or WebSocket handshake). */
  readonly connectTimeout?: number;
  /** Aborts the attempt. */
  readonly signal?: AbortSignal;
  /** STOMP versions being offered; WebSocket connectors turn them into `v1x.stomp` subprotocols. */
  readonly versions?: readonly string[];
  /** The WebSocket to use instead of the runtime's (see {@link StompWebSocketImpl}). */
  readonly webSocket?: StompWebSocketImpl;
  /** WebSocket subprotocols to offer instead of the ones derived from `versions`. */
  readonly subprotocols?: readonly string[];
  /** Split each outgoing frame into WebSocket messages of at most this many bytes (default: no split). */
  readonly maxWebSocketChunkSize?: number;
}

/**
 * An open byte connection to a broker.
 *
 * `readable` yields the bytes as they arrive and closes on EOF (errors on a connection failure).
 * `write` resolves when the bytes were handed to the runtime, so awaiting it honours backpressure;
 * after that the caller may reuse them.
 * When `messageFramed` is true (WebSocket) every chunk written is sent as one message.
 *
 * @example
 * ```ts
 * import type { StompConnection } from "./transport.ts";
 * async function echo(conn: StompConnection) {
 *   for await (const chunk of conn.readable) await conn.write(chunk);
 *   await conn.close();
 * }
 * ```
 */
export interface StompConnection {
  /** Incoming bytes; ends on EOF, errors with a StompConnectionError on failure. */
  readonly readable: ReadableStream<Uint8Array>;
  /**
   * Sends bytes; resolves once the runtime took them (backpressure), rejects if the connection is
   * gone. Once it resolved the caller may reuse `bytes` (the writer refills its chunks): a
   * connection that keeps them longer, e.g. queued for a peer, copies them.
   */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Optional: sends several chunks in order as one gathered write where the runtime has one
   * (Node: a corked socket, one writev); resolves once the runtime took them all, as
   * {@link StompConnection.write} does. Without it the writer writes the chunks one by one.
   */
  writev?(chunks: readonly Uint8Array[]): Promise<void>;
  /** Closes both directions; safe to call more than once. */
  close(): Promise<void>;
  /** True when each write is delivered as one message (WebSocket): one frame per write. */
  readonly messageFramed: boolean;
  /** A short description for logs, e.g. `tcp://127.0.0.1:61613`. */
  readonly info: string;
  /**
   * The TLS the connection negotiated, when its connector can see it (the Node connector's
   * `ssl://`); absent on plain connections and where the runtime does not tell (Deno's TLS, any
   * WebSocket). Set before the connector resolves.
   */
  readonly tls?: StompTlsInfo;
}

/**
 * Turns a broker address into an open connection.
 *
 * @example
 * ```ts
 * import type { StompConnector } from "./transport.ts";
 * const refuse: StompConnector = () => Promise.reject(new Error("no network here"));
 * ```
 */
export type StompConnector = (
  broker: StompBroker,
  options: StompConnectorOptions,
) => Promise<StompConnection>;
