/**
 * Exit statuses and how an error maps to one (and to the line printed for it).
 *
 * @module
 */

import {
  StompCancelledError,
  StompConnectionError,
  StompConnectTimeout,
  StompError,
  StompProtocolError,
} from "../core.ts";

/**
 * The CLI's exit statuses.
 *
 * @example
 * ```ts
 * import { EXIT } from "./exit.ts";
 * console.log(EXIT.broker); // 3
 * ```
 */
export const EXIT = Object.freeze({
  /** Done. */
  ok: 0,
  /** Bad arguments or input (or a failed check, such as bench's verification). */
  usage: 1,
  /** No connection (after the failover gave up), or it was lost and not regained. */
  connection: 2,
  /** The broker sent an ERROR frame. */
  broker: 3,
  /** A wait ran out: a receipt, a reply, the messages `--count` asked for. */
  timeout: 4,
  /** Ended by SIGINT (128 + 2, as shells report it). */
  interrupted: 130,
});

/**
 * A mistake in the command line or its input: exit status 1 with the message.
 *
 * @example
 * ```ts
 * import { UsageError } from "./exit.ts";
 * const error = new UsageError("--count must be a positive integer, got 0");
 * ```
 */
export class UsageError extends Error {
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/**
 * A wait of the CLI's own ran out (exit status 4).
 *
 * @example
 * ```ts
 * import { CliTimeout } from "./exit.ts";
 * const error = new CliTimeout("3 of 10 messages within 5000 ms");
 * ```
 */
export class CliTimeout extends Error {
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CliTimeout";
  }
}

/**
 * The exit status for `error` and the line to print for it. `connecting` tells whether the error
 * ended the connect: every failure there but an ERROR frame is a connection failure (status 2).
 *
 * @example
 * ```ts
 * import { exitFor } from "./exit.ts";
 * console.log(exitFor(new Error("boom"), false).status); // 1
 * ```
 */
export function exitFor(error: unknown, connecting: boolean): { status: number; message: string } {
  if (error instanceof UsageError) return { status: EXIT.usage, message: error.message };
  if (error instanceof CliTimeout) return { status: EXIT.timeout, message: `timeout: ${error.message}` };
  // The failover may wrap the broker's refusal (a CONNECT answered with ERROR) in its give-up error.
  const refusal = brokerError(error);
  if (refusal?.frame) {
    const reason = refusal.frame.headers.message ?? refusal.frame.text().split("\n", 1)[0];
    return { status: EXIT.broker, message: `broker ERROR: ${reason}` };
  }
  if (error instanceof StompConnectTimeout || error instanceof StompConnectionError) {
    return { status: EXIT.connection, message: `connection failed: ${describe(error)}` };
  }
  if (error instanceof StompCancelledError) {
    if (connecting) return { status: EXIT.connection, message: `connection failed: ${describe(error)}` };
    return { status: EXIT.timeout, message: `timeout: ${error.message}` };
  }
  if (error instanceof StompError) return { status: EXIT.usage, message: describe(error) };
  return { status: EXIT.usage, message: error instanceof Error ? describe(error) : String(error) };
}

/** The ERROR frame's error in `error`'s chain of causes, if any. */
function brokerError(error: unknown): StompProtocolError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof StompProtocolError && e.frame) return e;
  }
  return undefined;
}

/** The message with its chain of causes, which hold the detail (the last broker tried, the errno). */
function describe(error: Error): string {
  const parts = [error.message];
  for (
    let cause = error.cause, depth = 0;
    cause instanceof Error && depth < 4;
    cause = cause.cause, depth++
  ) {
    if (!parts.some((p) => p.includes(cause instanceof Error ? cause.message : ""))) {
      parts.push(
        cause.message,
      );
    }
  }
  return parts.join(": ");
}
