/**
 * Checks of the frames a broker sends (CONNECTED, MESSAGE, RECEIPT, ERROR) and the heart-beat
 * arithmetic of CONNECT/CONNECTED. Stateless like the builders; `StompSession` adds the
 * state. Everything here is re-exported by `commands.ts`, the place users reach it from.
 *
 * @example
 * ```ts
 * import { receipt } from "./server_frames.ts";
 * import { StompFrame } from "./frame.ts";
 * console.log(receipt(new StompFrame("RECEIPT", { "receipt-id": "r1" }))); // "r1"
 * ```
 *
 * @module
 */

import {
  checkCommand,
  fail,
  getHeader,
  isBeat,
  requireHeader,
  toVersion,
  toVersions,
} from "./command_checks.ts";
import { StompProtocolError } from "./protocol_error.ts";
import type { StompFrame } from "./frame.ts";
import { Command, Header, SPEC, type StompVersion, VERSIONS } from "./spec.ts";

/**
 * Matches a MESSAGE to its subscription: `id:<subscription id>`, or (STOMP 1.0 only, for a
 * subscription without an id) `destination:<destination>`. The prefix keeps an id and a
 * destination that happen to be equal apart.
 *
 * @example
 * ```ts
 * import type { StompToken } from "./server_frames.ts";
 * const token: StompToken = "id:s1";
 * ```
 */
export type StompToken = `id:${string}` | `destination:${string}`;

/**
 * What the broker's CONNECTED frame settled: the version, the optional `server` and `session`
 * headers and the broker's heart-beat offer `[sx, sy]` (always `[0, 0]` without heart-beats).
 *
 * @example
 * ```ts
 * import { connected } from "./server_frames.ts";
 * import { StompFrame } from "./frame.ts";
 * const info = connected(new StompFrame("CONNECTED", { version: "1.2", "heart-beat": "0,500" }), ["1.1", "1.2"]);
 * console.log(info.version, info.heartBeat); // "1.2" [ 0, 500 ]
 * ```
 */
export interface StompConnectedInfo {
  /** The negotiated version. */
  readonly version: StompVersion;
  /** The `server` header, if sent. */
  readonly server?: string;
  /** The `session` header, if sent. */
  readonly session?: string;
  /** The broker's `[sx, sy]`. */
  readonly heartBeat: readonly [number, number];
}

/**
 * Parses a `heart-beat` header value: two non-negative integers separated by a comma.
 * Throws {@link StompProtocolError} for anything else (`-1,0`, `2`, `,2`, `a,b`).
 *
 * @example
 * ```ts
 * import { parseHeartBeat } from "./server_frames.ts";
 * console.log(parseHeartBeat("1000,0")); // [ 1000, 0 ]
 * ```
 */
export function parseHeartBeat(value: string): [number, number] {
  const match = /^ *(\d+) *, *(\d+) *$/.exec(value);
  const beats = match ? [Number(match[1]), Number(match[2])] : [];
  if (!match || !beats.every(isBeat)) {
    fail(`invalid heart-beat ${JSON.stringify(value)} (two comma-separated non-negative integers required)`);
  }
  return beats as [number, number];
}

/**
 * The negotiated heart-beat periods in ms (0 = none): the client sends every max(cx, sy) unless
 * either is 0, and expects the server every max(sx, cy) unless either is 0.
 *
 * @example
 * ```ts
 * import { negotiateHeartBeat } from "./server_frames.ts";
 * console.log(negotiateHeartBeat([1, 2], [3, 4])); // { clientHeartBeat: 4, serverHeartBeat: 3 }
 * ```
 */
export function negotiateHeartBeat(
  client: readonly [number, number],
  server: readonly [number, number],
): { clientHeartBeat: number; serverHeartBeat: number } {
  const [cx, cy] = client, [sx, sy] = server;
  return {
    clientHeartBeat: cx && sy ? Math.max(cx, sy) : 0,
    serverHeartBeat: sx && cy ? Math.max(sx, cy) : 0,
  };
}
/**
 * Checks a CONNECTED frame against the versions offered: the `version` header (absent = 1.0)
 * must be one of them, and `heart-beat` (ignored without heart-beating) must be valid.
 *
 * @example
 * ```ts
 * import { connected } from "./server_frames.ts";
 * import { StompFrame } from "./frame.ts";
 * console.log(connected(new StompFrame("CONNECTED", { session: "s" }), ["1.0", "1.1"]).version); // "1.0"
 * ```
 */
export function connected(
  frame: StompFrame,
  offeredVersions: readonly StompVersion[] = VERSIONS,
): StompConnectedInfo {
  checkCommand(frame, Command.CONNECTED);
  const offered = toVersions(offeredVersions);
  const header = frame.headers[Header.VERSION];
  const version = header ?? "1.0";
  if (!(offered as string[]).includes(version)) {
    fail(
      `the broker chose STOMP ${version}${
        header === undefined ? " (no version header)" : ""
      }, not one of those offered: ${offered.join(", ")}`,
    );
  }
  const v = version as StompVersion;
  const beats = frame.headers[Header.HEART_BEAT];
  let heartBeat: [number, number] = [0, 0];
  if (beats !== undefined && SPEC[v].heartBeats) {
    try {
      heartBeat = parseHeartBeat(beats);
    } catch (cause) {
      fail(`CONNECTED frame with an ${(cause as Error).message}`, { cause });
    }
  }
  return {
    version: v,
    server: frame.headers[Header.SERVER],
    session: frame.headers[Header.SESSION],
    heartBeat,
  };
}

/**
 * Checks a MESSAGE frame and returns the token of its subscription: `id:<subscription>` when the
 * frame names one (required in 1.1+), else (1.0) `destination:<destination>`.
 *
 * @example
 * ```ts
 * import { message } from "./server_frames.ts";
 * import { StompFrame } from "./frame.ts";
 * const frame = new StompFrame("MESSAGE", { destination: "/queue/a", "message-id": "m1", subscription: "s1" });
 * console.log(message(frame)); // "id:s1"
 * ```
 */
export function message(frame: StompFrame, version?: StompVersion): StompToken {
  checkCommand(frame, Command.MESSAGE);
  const v = toVersion(version ?? frame.version);
  requireHeader(frame, Header.MESSAGE_ID);
  const destination = requireHeader(frame, Header.DESTINATION);
  const subscription = getHeader(frame.rawHeaders, Header.SUBSCRIPTION);
  if (subscription !== undefined) return `id:${subscription}`;
  if (SPEC[v].subscribeNeedsId) requireHeader(frame, Header.SUBSCRIPTION, ` (required in STOMP ${v})`);
  return `destination:${destination}`;
}

/**
 * Checks a RECEIPT frame and returns its `receipt-id`.
 *
 * @example
 * ```ts
 * import { receipt } from "./server_frames.ts";
 * import { StompFrame } from "./frame.ts";
 * console.log(receipt(new StompFrame("RECEIPT", { "receipt-id": "r1" }))); // "r1"
 * ```
 */
export function receipt(frame: StompFrame): string {
  checkCommand(frame, Command.RECEIPT);
  return requireHeader(frame, Header.RECEIPT_ID);
}

/**
 * Turns an ERROR frame into the {@link StompProtocolError} that carries it (returned, not thrown).
 *
 * @example
 * ```ts
 * import { error } from "./server_frames.ts";
 * import { StompFrame } from "./frame.ts";
 * const e = error(new StompFrame("ERROR", { message: "Bad CONNECT" }));
 * console.log(e.message, e.frame?.command); // "broker ERROR: Bad CONNECT" "ERROR"
 * ```
 */
export function error(frame: StompFrame): StompProtocolError {
  checkCommand(frame, Command.ERROR);
  const text = frame.headers[Header.MESSAGE] ?? frame.text().split("\n", 1)[0].slice(0, 200);
  return new StompProtocolError(`broker ERROR: ${text || "(no message)"}`, { frame });
}
