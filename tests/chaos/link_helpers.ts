/**
 * Shared by the link-fault chaos scenarios (black holes, initial failover, slow consumers): a guard
 * that fails a test on any unhandled promise rejection, a timestamped log of a client's status events
 * to wait on, and broker URIs routed through a {@link FaultProxy}.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AsyncStomp, deadline, StompConnectionError, type StompStatusEvent } from "../../mod.ts";
import type { BrokerEndpoint } from "../helpers/brokers.ts";
import { brokerConnector } from "../helpers/connectors.ts";
import type { FaultProxy } from "../helpers/fault_proxy.ts";

/**
 * Records every unhandled promise rejection from now until disposed (and keeps the process alive
 * through them); `assertNone()` fails the test naming them.
 *
 * @example
 * ```ts ignore
 * using rejections = rejectionGuard();
 * await scenario();
 * rejections.assertNone();
 * ```
 */
export function rejectionGuard(): { readonly seen: unknown[]; assertNone(): void } & Disposable {
  const seen: unknown[] = [];
  const listener = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    seen.push(event.reason);
  };
  globalThis.addEventListener("unhandledrejection", listener);
  return {
    seen,
    assertNone() {
      assert.deepEqual(seen.map((r) => r instanceof Error ? `${r.name}: ${r.message}` : String(r)), []);
    },
    [Symbol.dispose]() {
      globalThis.removeEventListener("unhandledrejection", listener);
    },
  };
}

/** A status event with the moment (performance.now()) it was seen. */
export type TimedEvent = StompStatusEvent & { readonly at: number };

/**
 * Every status event of a client, timestamped, from construction on; {@link EventLog.until} waits
 * (bounded) for one that matches, seen before or after the call.
 *
 * @example
 * ```ts ignore
 * const log = new EventLog(client);
 * const from = performance.now();
 * const e = await log.until((e) => e.type === "connected" && e.at > from, 5000, "reconnected");
 * ```
 */
export class EventLog {
  readonly events: TimedEvent[] = [];
  readonly #watchers = new Set<() => void>();

  /** Starts listening to `client.status()`; the listening ends when the client closes. */
  constructor(client: AsyncStomp) {
    (async () => {
      for await (const event of client.status()) {
        this.events.push({ ...event, at: performance.now() });
        for (const watcher of this.#watchers) watcher();
      }
    })();
  }

  /** The first event matching `match`; rejects after `timeout` ms naming `what` and the events seen. */
  until(match: (e: TimedEvent) => boolean, timeout: number, what: string): Promise<TimedEvent> {
    let watcher!: () => void;
    const found = new Promise<TimedEvent>((resolve) => {
      watcher = () => {
        const event = this.events.find(match);
        if (event) resolve(event);
      };
      this.#watchers.add(watcher);
      watcher();
    });
    return deadline(found, { timeout }, what)
      .catch((error) => {
        const seen = this.events.map((e) => e.type).join(", ");
        throw new Error(`${error.message} (status events: ${seen})`, { cause: error });
      })
      .finally(() => this.#watchers.delete(watcher));
  }
}

/**
 * `endpoint`'s URI with the proxy's port: same scheme (tcp, ssl, ws, wss) and path. The test
 * certificates name 127.0.0.1, so TLS through the proxy still verifies.
 *
 * @example
 * ```ts ignore
 * const uri = throughProxy(RABBITMQ.ws, proxy); // "ws://127.0.0.1:41234/ws"
 * ```
 */
export function throughProxy(endpoint: BrokerEndpoint, proxy: FaultProxy): string {
  const { protocol, path } = endpoint.address;
  return `${protocol}://${proxy.host}:${proxy.port}${path ?? ""}`;
}

/**
 * A client of `endpoint` through `proxy` with heart-beats both ways, quick reconnects, and every wait
 * bounded by `waitMs`: the client each link-fault scenario drives.
 *
 * @example
 * ```ts ignore
 * const client = proxiedClient(RABBITMQ.tcp, proxy, 1000, 5000);
 * ```
 */
export function proxiedClient(
  endpoint: BrokerEndpoint,
  proxy: FaultProxy,
  heartBeat: number,
  waitMs: number,
): AsyncStomp {
  return new AsyncStomp(
    `failover:(${throughProxy(endpoint, proxy)})?initialReconnectDelay=20&maxReconnectDelay=250`,
    {
      login: endpoint.login,
      passcode: endpoint.passcode,
      host: endpoint.host,
      tls: endpoint.tls,
      versions: ["1.2"],
      heartBeats: [heartBeat, heartBeat],
      connector: brokerConnector,
      connectTimeout: waitMs,
      connectedTimeout: waitMs,
      receiptTimeout: waitMs,
    },
  );
}

/** The longest a scenario's send may take, reconnects and resends included. */
const SEND_BOUND_MS = 20_000;

/**
 * A receipted send to `queue` whose body is added to `confirmed` once the broker confirmed it; a
 * send that fails must fail as a lost connection (it is then unconfirmed, not lost); one that outlasts
 * SEND_BOUND_MS fails the test (StompCancelledError) instead of hanging it.
 *
 * @example
 * ```ts ignore
 * const confirmed = new Set<string>();
 * const send = confirmingSender(client, queue, confirmed);
 * await send("before-0");
 * ```
 */
export function confirmingSender(
  client: AsyncStomp,
  queue: string,
  confirmed: Set<string>,
): (body: string) => Promise<void> {
  return async (body) => {
    try {
      // Bounded: a send waits out reconnects and resends, never longer than this.
      await client.send(queue, body, {}, { receipt: true, timeout: SEND_BOUND_MS });
      confirmed.add(body);
    } catch (error) {
      assert.ok(error instanceof StompConnectionError, `${body}: ${error}`);
    }
  };
}
