/**
 * What every connector shares: the connect attempt under a timeout and an AbortSignal, error
 * wrapping that names the broker, and a push-fed byte stream. Touches no runtime API (the browser
 * loads it through the WebSocket connector).
 *
 * @module
 */

import {
  StompCancelledError,
  StompConnectionError,
  StompConnectTimeout,
  StompError,
  StompTlsHandshakeError,
} from "../../errors.ts";
import type { StompConnection } from "../transport.ts";
import { type ByteSink, LISTEN } from "../byte_sink.ts";

/**
 * Wraps a runtime error as a {@link StompConnectionError} whose message names the broker; a
 * StompError passes through unchanged.
 *
 * @example
 * ```ts
 * import { connectionError } from "./common.ts";
 * const e = connectionError("tcp://127.0.0.1:1", "cannot connect", new Error("Connection refused"));
 * console.log(e.message); // "tcp://127.0.0.1:1: cannot connect: Connection refused"
 * ```
 */
export function connectionError(uri: string, what: string, cause: unknown): StompError {
  if (cause instanceof StompError) return cause;
  const detail = cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "";
  return new StompConnectionError(`${uri}: ${what}${detail ? `: ${detail}` : ""}`, { cause });
}

/**
 * Runs one connect attempt under `options.connectTimeout` (ms; absent or `Infinity`: none) and
 * `options.signal`. `open` gets a signal that fires when the attempt is given up, so it can tear
 * down a half-open socket at once; a connection that still arrives after that is closed, never
 * leaked. A timeout rejects with {@link StompConnectTimeout}, an abort with
 * {@link StompCancelledError} (cause: the signal's reason), anything else with a
 * {@link StompConnectionError} naming `uri`.
 *
 * @example
 * ```ts
 * import { openWithin } from "./common.ts";
 * import { StompConnectTimeout } from "../../errors.ts";
 * const never = () => new Promise<never>(() => {});
 * const error = await openWithin("tcp://h:1", { connectTimeout: 10 }, never).catch((e) => e);
 * console.log(error instanceof StompConnectTimeout); // true
 * ```
 */
export async function openWithin(
  uri: string,
  options: { readonly connectTimeout?: number; readonly signal?: AbortSignal },
  open: (giveUp: AbortSignal) => Promise<StompConnection>,
): Promise<StompConnection> {
  const { connectTimeout, signal } = options;
  if (connectTimeout !== undefined && !(connectTimeout >= 0)) {
    throw new StompError(
      `${uri}: connectTimeout must be a number of milliseconds >= 0, got ${connectTimeout}`,
    );
  }
  const cancelled = () => new StompCancelledError(`${uri}: connect aborted`, { cause: signal?.reason });
  if (signal?.aborted) throw cancelled();
  const giveUp = new AbortController();
  let stop!: (error: StompError) => void;
  const stopped = new Promise<never>((_, reject) => {
    stop = (error) => {
      giveUp.abort(error);
      reject(error);
    };
  });
  const onAbort = () => stop(cancelled());
  signal?.addEventListener("abort", onAbort, { once: true });
  // setTimeout fires at once for delays past 2^31-1 ms: those (Infinity included) mean no timeout.
  const timer = connectTimeout !== undefined && connectTimeout <= 0x7fffffff
    ? setTimeout(
      () => stop(new StompConnectTimeout(`${uri}: connect timed out after ${connectTimeout} ms`)),
      connectTimeout,
    )
    : undefined;
  const attempt = open(giveUp.signal);
  try {
    return await Promise.race([attempt, stopped]);
  } catch (error) {
    throw giveUp.signal.aborted ? giveUp.signal.reason : connectionError(uri, "cannot connect", error);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    // Nobody awaits this close: a failure of it must not become an unhandled rejection.
    if (giveUp.signal.aborted) attempt.then((late) => late.close()).catch(() => {});
  }
}

/**
 * A byte stream fed by events (socket `data`, WebSocket `message`): `push` never waits, because a
 * STOMP reader must not stop reading the socket (see `channel.ts`); `end` closes it, or errors it
 * when given an error. Both are no-ops once it ended or its reader cancelled it.
 *
 * @example
 * ```ts
 * import { pushStream } from "./common.ts";
 * const stream = pushStream(() => {});
 * stream.push(new Uint8Array([1]));
 * stream.end();
 * for await (const chunk of stream.readable) console.log(chunk); // Uint8Array(1) [ 1 ]
 * ```
 */
export function pushStream(onCancel: () => void): {
  readonly readable: ReadableStream<Uint8Array>;
  push(bytes: Uint8Array): void;
  end(error?: StompError): void;
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let done = false;
  const readable = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c;
    },
    cancel: () => {
      done = true;
      onCancel();
    },
  });
  return {
    readable,
    push(bytes) {
      if (!done) controller.enqueue(bytes);
    },
    end(error) {
      if (done) return;
      done = true;
      if (error) controller.error(error);
      else controller.close();
    },
  };
}

/**
 * Like {@link pushStream}, but the pushed bytes go straight into a {@link ByteSink} when the
 * channel listens (no Web Streams hop), or into `readable` when someone reads that instead.
 * Chunks pushed before either consumer arrives are kept and handed over first; pushed chunks must
 * not be reused by the caller (a socket's `data` chunks are fresh).
 *
 * @example
 * ```ts
 * import { pushSource } from "./common.ts";
 * import { LISTEN } from "../byte_sink.ts";
 * const source = pushSource(() => {});
 * source.push(new Uint8Array([1]));
 * source[LISTEN]({ data: (b) => console.log(b), end: () => console.log("end") }); // Uint8Array(1) [ 1 ]
 * source.end(); // "end"
 * ```
 */
export function pushSource(onCancel: () => void): {
  readonly readable: ReadableStream<Uint8Array>;
  readonly [LISTEN]: (sink: ByteSink) => void;
  push(bytes: Uint8Array): void;
  end(error?: StompError): void;
} {
  let sink: ByteSink | undefined;
  let early: Uint8Array[] = [];
  let ended = false;
  let endError: StompError | undefined;
  let stream: ReturnType<typeof pushStream> | undefined;
  const attach = (target: ByteSink) => {
    if (sink) throw new StompError("the connection is already being read");
    sink = target;
    const kept = early;
    early = [];
    for (const bytes of kept) target.data(bytes);
    if (ended) target.end(endError);
  };
  return {
    get readable() {
      if (stream) return stream.readable;
      const s = stream = pushStream(onCancel);
      attach({ data: (bytes) => s.push(bytes), end: (error) => s.end(error) });
      return s.readable;
    },
    [LISTEN]: attach,
    push(bytes) {
      if (ended) return;
      if (sink) sink.data(bytes);
      else early.push(bytes);
    },
    end(error) {
      if (ended) return;
      ended = true;
      endError = error;
      sink?.end(error);
    },
  };
}

/**
 * Resolves on the first of `events` fired on `target` (a DOM-style EventTarget or a Node emitter),
 * removing every listener again.
 *
 * @example
 * ```ts
 * import { firstEvent } from "./common.ts";
 * const target = new EventTarget();
 * const seen = firstEvent(target, ["open", "close"]);
 * target.dispatchEvent(new Event("close"));
 * console.log((await seen).name); // "close"
 * ```
 */
export function firstEvent(
  target: EventTarget | NodeLikeEmitter,
  events: readonly string[],
): Promise<{ name: string; value: unknown }> {
  return new Promise((resolve) => {
    const listeners = events.map((name) => {
      const listener = (value: unknown) => {
        for (const [n, l] of listeners) off(target, n, l);
        resolve({ name, value });
      };
      return [name, listener] as const;
    });
    for (const [n, l] of listeners) on(target, n, l);
  });
}

/** The part of a Node EventEmitter {@link firstEvent} uses. */
export interface NodeLikeEmitter {
  /** Adds a listener. */
  on(event: string, listener: (value: unknown) => void): unknown;
  /** Removes a listener. */
  off(event: string, listener: (value: unknown) => void): unknown;
}

function on(target: EventTarget | NodeLikeEmitter, name: string, listener: (value: unknown) => void): void {
  if ("addEventListener" in target) target.addEventListener(name, listener);
  else target.on(name, listener);
}

function off(target: EventTarget | NodeLikeEmitter, name: string, listener: (value: unknown) => void): void {
  if ("removeEventListener" in target) target.removeEventListener(name, listener);
  else target.off(name, listener);
}

/**
 * Waits for `promise` to settle, but at most `ms` milliseconds; never rejects. For closing
 * handshakes that a dead peer may never finish.
 *
 * @example
 * ```ts
 * import { settleWithin } from "./common.ts";
 * const settled = await settleWithin(new Promise(() => {}), 10);
 * console.log(settled); // false
 * ```
 */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}

/** What a TLS alert from a broker that did not accept our (missing or untrusted) client certificate looks like. */
const REFUSED =
  /alert|certificate required|unknown ca|bad certificate|handshake failure|peer sent|reset by peer/i;

/**
 * Whether a TLS error looks like the broker refusing the handshake (an alert it sent), as a
 * broker that requires a client certificate does when it got none or one it does not trust.
 *
 * @example
 * ```ts
 * import { refusedHandshake } from "./common.ts";
 * console.log(refusedHandshake(new Error("received fatal alert: CertificateRequired"))); // true
 * ```
 */
export function refusedHandshake(cause: unknown): boolean {
  return REFUSED.test(cause instanceof Error ? cause.message : String(cause));
}

/**
 * A TLS failure as a {@link StompTlsHandshakeError} whose message says whether the broker refused
 * the handshake (TLS 1.3 clients see that refusal on their first read, after their side of the
 * handshake finished, so reads of a fresh connection are checked with this too).
 *
 * @example
 * ```ts
 * import { tlsError } from "./common.ts";
 * const e = tlsError("ssl://h:1", new Error("peer sent fatal alert: CertificateRequired"));
 * console.log(e.message); // "ssl://h:1: the broker refused the TLS handshake (...): peer sent fatal alert: CertificateRequired"
 * ```
 */
export function tlsError(uri: string, cause: unknown): StompTlsHandshakeError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const why = refusedHandshake(cause)
    ? "the broker refused the TLS handshake (is a client certificate it trusts required?)"
    : "TLS handshake failed";
  return new StompTlsHandshakeError(`${uri}: ${why}: ${message}`, { cause });
}
