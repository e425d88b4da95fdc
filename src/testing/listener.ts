/**
 * The runtime-neutral shape of a TCP listener for the test broker; `listen_deno.ts` is the Deno
 * one, and other runtimes can supply their own.
 *
 * @module
 */

import type { StompConnection } from "../connection/transport.ts";

/**
 * An open listener.
 *
 * @example
 * ```ts
 * import type { StompTestListener } from "./listener.ts";
 * const stop = (listener: StompTestListener) => listener.close();
 * ```
 */
export interface StompTestListener {
  /** The address it is bound to. */
  readonly hostname: string;
  /** The port it is bound to (the real one when 0 was asked). */
  readonly port: number;
  /** Stops accepting; connections already accepted are left to their owner. */
  close(): Promise<void>;
}

/**
 * Starts a listener and hands every accepted connection to `accept`.
 *
 * @example
 * ```ts
 * import type { StompTestListen } from "./listener.ts";
 * const none: StompTestListen = () => Promise.reject(new Error("no sockets in this runtime"));
 * ```
 */
export type StompTestListen = (
  address: { readonly hostname: string; readonly port: number },
  accept: (conn: StompConnection) => void,
) => Promise<StompTestListener>;
