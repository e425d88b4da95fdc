/**
 * What every command runs in: the runtime, `-v`, SIGINT as an AbortSignal, and
 * {@link withClient}, which connects, runs the command, disconnects gracefully and turns whatever
 * went wrong into an exit status.
 *
 * @module
 */

import { AsyncStomp, brokerUri, type StompBroker, type StompFrame } from "../core.ts";
import type { ClientSettings } from "./args.ts";
import { EXIT, exitFor } from "./exit.ts";
import type { CliRuntime } from "./runtime.ts";

/**
 * A command's surroundings.
 *
 * @example
 * ```ts ignore
 * const ctx = new CliContext(rt, true);
 * ctx.log("connected"); // "stompest: connected" on standard error, only with -v
 * ```
 */
export class CliContext {
  /** The runtime. */
  readonly rt: CliRuntime;
  /** `-v`. */
  readonly verbose: boolean;
  readonly #interrupt = new AbortController();
  readonly #stopListening: () => void;

  /** Starts listening for SIGINT (until {@link CliContext.dispose}). */
  constructor(rt: CliRuntime, verbose: boolean) {
    this.rt = rt;
    this.verbose = verbose;
    this.#stopListening = rt.onInterrupt(() => this.#interrupt.abort(new Error("interrupted (SIGINT)")));
  }

  /** Aborts on SIGINT. */
  get interrupt(): AbortSignal {
    return this.#interrupt.signal;
  }

  /** A diagnostic line on standard error, with `-v` only. */
  log(text: string): void {
    if (this.verbose) this.rt.stderr(`stompest: ${text}\n`);
  }

  /** A line on standard error, always. */
  warn(text: string): void {
    this.rt.stderr(`stompest: ${text}\n`);
  }

  /** Prints why `error` ended the command and returns its exit status. */
  fail(error: unknown, connecting: boolean): number {
    if (this.interrupt.aborted) return EXIT.interrupted;
    const { status, message } = exitFor(error, connecting);
    this.warn(message);
    return status;
  }

  /** Stops listening for SIGINT. */
  dispose(): void {
    this.#stopListening();
  }
}

/** The broker a client is connected to, as its status events tell. */
interface Connection {
  broker?: StompBroker;
}

/** Follows the client's status events while it lives: the broker it is on, and with -v a log. */
async function followStatus(client: AsyncStomp, ctx: CliContext, connection: Connection): Promise<void> {
  for await (const event of client.status()) {
    if (event.type === "connected") connection.broker = event.broker;
    if (!ctx.verbose) continue;
    switch (event.type) {
      case "connecting":
        ctx.log(`connecting to ${brokerUri(event.broker)} (attempt ${event.attempt})`);
        break;
      case "connected":
        ctx.log(`connected to ${brokerUri(event.broker)}, STOMP ${event.version}`);
        break;
      case "reconnecting":
        ctx.log(`reconnecting to ${brokerUri(event.broker)} in ${event.delay} ms (attempt ${event.attempt})`);
        break;
      case "disconnected":
        ctx.log(`disconnected${event.error ? `: ${event.error.message}` : ""}`);
        break;
      case "heartbeat-timeout":
        ctx.log(`no heart-beat from the broker for ${event.silence} ms`);
        break;
      case "error":
        ctx.log(`error: ${event.error.message}`);
        break;
    }
  }
}

/**
 * Connects (SIGINT aborts the connect), runs `fn`, disconnects gracefully (the DISCONNECT receipt
 * confirms that the broker processed every frame before it), and returns `fn`'s exit status, or
 * the status of what failed: a connect failure 2, an ERROR frame 3, a timeout 4, SIGINT 130.
 *
 * @example
 * ```ts ignore
 * const status = await withClient(ctx, settings, async (client) => {
 *   await client.send("/queue/a", "hello");
 *   return EXIT.ok;
 * });
 * ```
 */
export async function withClient(
  ctx: CliContext,
  settings: ClientSettings,
  fn: (client: AsyncStomp, connected: StompFrame, broker: StompBroker | undefined) => Promise<number>,
): Promise<number> {
  const client = new AsyncStomp(settings.uri, settings.options);
  const connection: Connection = {};
  const logging = followStatus(client, ctx, connection);
  try {
    let connected: StompFrame;
    try {
      connected = await client.connect({ signal: ctx.interrupt });
    } catch (error) {
      return ctx.fail(error, true);
    }
    let status: number;
    try {
      status = await fn(client, connected, connection.broker);
    } catch (error) {
      if (client.connected) {
        await client.disconnect({ timeout: settings.timeout }).catch(() => {});
        return ctx.fail(error, false);
      }
      // The client stopped: an ERROR frame or a lost connection is the cause, not the call it failed.
      await client.close();
      return ctx.fail(await client.disconnected.then(() => error, (reason) => reason), false);
    }
    try {
      await client.disconnect({ timeout: settings.timeout });
      await client.disconnected;
    } catch (error) {
      return ctx.fail(error, false);
    }
    return status;
  } finally {
    await client.close();
    await logging;
  }
}
