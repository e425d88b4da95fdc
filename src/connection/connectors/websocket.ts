/**
 * WebSocket-STOMP over the global `WebSocket` (browsers, Deno, Node 22+): one STOMP frame per
 * WebSocket message, subprotocols `v12.stomp` / `v11.stomp` / `v10.stomp`.
 *
 * TLS (`wss://`): the standard WebSocket API has no way to pass a CA or a server name, so
 * `options.tls` is not applied here: the runtime's trust store decides (Deno: `--cert ca.pem` or
 * `DENO_CERT=ca.pem`; browsers: the system store). In Deno, `denoWebSocketConnector` from
 * `deno.ts` applies `tls.caCerts`.
 *
 * @module
 */

import { StompConnectionError } from "../../errors.ts";
import { checkVersion, type StompVersion, VERSIONS } from "../../protocol/spec.ts";
import type { StompConnection, StompConnector, StompTlsOptions, StompWebSocketImpl } from "../transport.ts";
import { brokerUri, type StompBroker } from "../../protocol/broker.ts";
import { firstEvent, openWithin, pushStream, settleWithin } from "./common.ts";

/** The WebSocket subprotocol that announces each STOMP version. */
const SUBPROTOCOL: Readonly<Record<StompVersion, string>> = {
  "1.0": "v10.stomp",
  "1.1": "v11.stomp",
  "1.2": "v12.stomp",
};

/** Close codes that end the stream as a clean EOF: normal closure, and a close frame without a code. */
const CLEAN_CLOSE = new Set([1000, 1005]);

/** `write` waits while more than this many bytes are queued in the socket. */
const HIGH_WATER_MARK = 1 << 20;
/** How often `write` looks at `bufferedAmount` while it is above the mark. */
const DRAIN_POLL_MS = 5;
/** How long `close` waits for the closing handshake (the read side has ended before). */
const CLOSE_GRACE_MS = 2000;

const encoder = new TextEncoder();

/**
 * Opens the WebSocket for {@link createWebSocketConnector}; `dispose` (if any) runs once the socket
 * closed, to free what was made for it.
 *
 * @example
 * ```ts
 * import type { StompWebSocketFactory } from "./websocket.ts";
 * const plain: StompWebSocketFactory = (url, protocols) => ({ socket: new WebSocket(url, protocols) });
 * ```
 */
export type StompWebSocketFactory = (
  url: string,
  protocols: string[],
  tls: StompTlsOptions | undefined,
) => { socket: WebSocket; dispose?: () => void };

const standardWebSocket: StompWebSocketFactory = (url, protocols) => {
  if (typeof globalThis.WebSocket !== "function") {
    throw new StompConnectionError(
      `${url}: this runtime has no global WebSocket (Node < 22): pass the \`webSocket\` option, ` +
        "e.g. the WebSocket class of the `ws` package",
    );
  }
  return { socket: new WebSocket(url, protocols) };
};

/** A user's WebSocket: a class (or `function`) is called with `new`, an arrow function without. */
function userWebSocket(impl: StompWebSocketImpl): StompWebSocketFactory {
  return (url, protocols) => {
    const socket = "prototype" in impl && impl.prototype
      ? new (impl as new (url: string, protocols: string[]) => unknown)(url, protocols)
      : (impl as (url: string, protocols: string[]) => unknown)(url, protocols);
    if (!socket || typeof (socket as WebSocket).addEventListener !== "function") {
      throw new StompConnectionError(`${url}: the webSocket option did not give a WebSocket`);
    }
    return { socket: socket as WebSocket };
  };
}

/**
 * The WebSocket subprotocols for the offered STOMP versions, newest first.
 *
 * @example
 * ```ts
 * import { stompSubprotocols } from "./websocket.ts";
 * console.log(stompSubprotocols(["1.1", "1.2"])); // [ "v12.stomp", "v11.stomp" ]
 * ```
 */
export function stompSubprotocols(versions: readonly string[] = VERSIONS): string[] {
  const offered = new Set(versions.map(checkVersion));
  return VERSIONS.filter((v) => offered.has(v)).reverse().map((v) => SUBPROTOCOL[v]);
}

/**
 * Builds a WebSocket connector around a socket factory (the default: the global `WebSocket`).
 *
 * @example
 * ```ts
 * import { createWebSocketConnector } from "./websocket.ts";
 * const connector = createWebSocketConnector((url, protocols) => ({ socket: new WebSocket(url, protocols) }));
 * ```
 */
export function createWebSocketConnector(create: StompWebSocketFactory = standardWebSocket): StompConnector {
  return (broker: StompBroker, options) => {
    const uri = brokerUri(broker);
    if (broker.protocol !== "ws" && broker.protocol !== "wss") {
      return Promise.reject(
        new StompConnectionError(`${uri}: the WebSocket connector handles ws:// and wss:// only`),
      );
    }
    const chunk = options.maxWebSocketChunkSize;
    if (chunk !== undefined && !(Number.isSafeInteger(chunk) && chunk > 0)) {
      return Promise.reject(
        new StompConnectionError(`${uri}: maxWebSocketChunkSize must be a whole number > 0, got ${chunk}`),
      );
    }
    const open = options.webSocket ? userWebSocket(options.webSocket) : create;
    const protocols = options.subprotocols ? [...options.subprotocols] : stompSubprotocols(options.versions);
    return openWithin(uri, options, async (giveUp) => {
      const { socket, dispose } = open(uri, protocols, options.tls);
      socket.binaryType = "arraybuffer";
      const abandon = () => socket.close();
      giveUp.addEventListener("abort", abandon);
      try {
        const opened = await firstEvent(socket, ["open", "error", "close"]);
        if (opened.name !== "open") {
          dispose?.();
          const hint = broker.protocol === "wss" && options.tls && create === standardWebSocket
            ? " (options.tls cannot be applied to a standard WebSocket: the runtime's trust store decides)"
            : "";
          throw new StompConnectionError(`${uri}: cannot connect: ${describe(opened.value)}${hint}`);
        }
      } finally {
        giveUp.removeEventListener("abort", abandon);
      }
      return webSocketConnection(socket, uri, dispose, chunk);
    });
  };
}

/**
 * WebSocket-STOMP through the global `WebSocket`: `ws://host:port/path`, binary messages out,
 * text or binary in, `messageFramed` (one frame per write). `options.tls` is not applied (see the
 * module notes).
 *
 * @example
 * ```ts ignore
 * import { websocketConnector } from "./websocket.ts";
 * const conn = await websocketConnector({ protocol: "ws", host: "127.0.0.1", port: 15674, path: "/ws" }, {});
 * await conn.close();
 * ```
 */
export const websocketConnector: StompConnector = createWebSocketConnector();

function webSocketConnection(
  socket: WebSocket,
  uri: string,
  dispose: (() => void) | undefined,
  maxChunk: number | undefined,
): StompConnection {
  let closing = false;
  let lastError = "";
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    dispose?.();
  };
  const stream = pushStream(() => {
    closing = true;
    socket.close(1000);
  });
  socket.addEventListener("message", (event) => {
    const data = (event as MessageEvent).data;
    stream.push(typeof data === "string" ? encoder.encode(data) : new Uint8Array(data as ArrayBuffer));
  });
  socket.addEventListener("error", (event) => {
    lastError = describe(event);
  });
  socket.addEventListener("close", (event) => {
    release();
    const { code, reason } = event as CloseEvent;
    if (closing || CLEAN_CLOSE.has(code)) return stream.end();
    const why = [reason, lastError].filter(Boolean).join("; ");
    stream.end(
      new StompConnectionError(`${uri}: connection closed with code ${code}${why ? ` (${why})` : ""}`),
    );
  });
  const gone = () =>
    new StompConnectionError(`${uri}: connection closed${lastError ? ` (${lastError})` : ""}`);
  return {
    readable: stream.readable,
    messageFramed: true,
    info: uri,
    async write(bytes: Uint8Array): Promise<void> {
      // send() on a closing socket drops the data without a word: refuse instead.
      if (closing || socket.readyState !== socket.OPEN) throw gone();
      if (maxChunk === undefined || bytes.length <= maxChunk) socket.send(bytes);
      else {
        // Servers that cap the message size (Spring: 64 KiB) reassemble the frame from its parts.
        for (let at = 0; at < bytes.length; at += maxChunk) socket.send(bytes.subarray(at, at + maxChunk));
      }
      while (socket.bufferedAmount > HIGH_WATER_MARK) {
        await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
        if (closing || socket.readyState !== socket.OPEN) throw gone();
      }
    },
    async close(): Promise<void> {
      closing = true;
      // The reader sees the end now: over a dead path (heart-beat timeout) the peer never answers
      // the closing handshake, and the client must not wait for it to fail over.
      stream.end();
      if (socket.readyState === socket.CLOSED) return release();
      const closed = firstEvent(socket, ["close"]);
      if (socket.readyState !== socket.CLOSING) socket.close(1000);
      if (!await settleWithin(closed, CLOSE_GRACE_MS)) release();
    },
  };
}

/** The most a WebSocket error or close event says (Deno's ErrorEvent has a message; browsers say nothing). */
function describe(event: unknown): string {
  if (event && typeof event === "object") {
    const e = event as Partial<ErrorEvent & CloseEvent>;
    if (typeof e.message === "string" && e.message) return e.message;
    if (typeof e.code === "number") return `closed with code ${e.code}${e.reason ? ` (${e.reason})` : ""}`;
  }
  return "WebSocket error";
}
