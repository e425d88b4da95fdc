/**
 * The test broker's options, checked once into the settings its connections read.
 *
 * @module
 */

import type { StompParserLimits } from "../protocol/parser.ts";
import { checkVersion, type StompVersion, VERSIONS } from "../protocol/spec.ts";
import type { StompTestFaultOptions } from "./faults.ts";

/**
 * How the test broker behaves.
 *
 * @example
 * ```ts
 * import type { StompTestBrokerOptions } from "./settings.ts";
 * const options: StompTestBrokerOptions = { versions: ["1.1", "1.2"], users: { guest: "guest" } };
 * ```
 */
export interface StompTestBrokerOptions {
  /** Versions it speaks (default all three). */
  readonly versions?: readonly StompVersion[];
  /**
   * `login → passcode`; when given, CONNECT must carry a matching pair. As a function it is asked
   * per CONNECT with the login and the connection's index (from 0, in the order accepted): a passcode that changes per
   * connection, as a rotating token does.
   */
  readonly users?: StompTestUsers;
  /** The broker's heart-beat offer `[sx, sy]` in ms; by default it mirrors the client's wish. */
  readonly heartBeats?: readonly [number, number];
  /** A client silent for this many times its heart-beat period is dropped (default 2; 0: never). */
  readonly heartBeatTolerance?: number;
  /** The CONNECTED `server` header. */
  readonly server?: string;
  /** Close the connection after a protocol ERROR (default true, as the specification asks). */
  readonly closeOnError?: boolean;
  /** Limits for the parser reading client frames. */
  readonly parserLimits?: Partial<StompParserLimits>;
  /** Initial fault settings (see `StompTestBroker.faults`). */
  readonly faults?: StompTestFaultOptions;
}

/**
 * The test broker's accounts: `login → passcode`, or a function giving the passcode a login needs
 * on a connection (its index, from 0); undefined refuses the login.
 *
 * @example
 * ```ts
 * import type { StompTestUsers } from "./settings.ts";
 * const rotating: StompTestUsers = (login, connection) => login === "app" ? `token-${connection}` : undefined;
 * ```
 */
export type StompTestUsers =
  | Readonly<Record<string, string>>
  | ((login: string, connection: number) => string | undefined);

/** The checked settings. */
export interface BrokerSettings {
  readonly versions: readonly StompVersion[];
  readonly users?: StompTestUsers;
  readonly heartBeats?: readonly [number, number];
  readonly heartBeatTolerance: number;
  readonly server: string;
  readonly closeOnError: boolean;
  readonly parserLimits?: Partial<StompParserLimits>;
}

/** Checks the options; a bad one throws a TypeError. */
export function resolveSettings(options: StompTestBrokerOptions): BrokerSettings {
  const wanted = (options.versions ?? VERSIONS).map(checkVersion);
  const versions = VERSIONS.filter((v) => wanted.includes(v));
  if (versions.length === 0) throw new TypeError("versions: at least one STOMP version is needed");
  const beats = options.heartBeats;
  if (beats && !(beats.length === 2 && beats.every((n) => Number.isSafeInteger(n) && n >= 0))) {
    throw new TypeError(`heartBeats must be two non-negative integers, got ${JSON.stringify(beats)}`);
  }
  const tolerance = options.heartBeatTolerance ?? 2;
  if (!(tolerance >= 0 && Number.isFinite(tolerance))) {
    throw new TypeError(`heartBeatTolerance must be a non-negative number, got ${tolerance}`);
  }
  if (typeof options.users !== "function") {
    for (const [login, passcode] of Object.entries(options.users ?? {})) {
      if (typeof passcode !== "string") {
        throw new TypeError(`users: the passcode of ${login} must be a string`);
      }
    }
  }
  return {
    versions,
    users: options.users,
    heartBeats: beats,
    heartBeatTolerance: tolerance,
    server: options.server ?? "stompest-test-broker",
    closeOnError: options.closeOnError ?? true,
    parserLimits: options.parserLimits,
  };
}
