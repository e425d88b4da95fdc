/**
 * Fault hooks of the test broker: misbehaviour a test switches on to see how a client copes.
 *
 * @module
 */

/**
 * How an injected ERROR looks: its `message` header and whether the connection closes after it.
 *
 * @example
 * ```ts
 * import type { StompTestErrorFault } from "./faults.ts";
 * const fault: StompTestErrorFault = { message: "disk full", close: false };
 * ```
 */
export interface StompTestErrorFault {
  /** The ERROR frame's `message` header. */
  readonly message?: string;
  /** Close the connection after the ERROR (default true, as the specification asks). */
  readonly close?: boolean;
}

/**
 * Where a dropped SEND dies: `"before-store"` drops the connection before the broker stores the
 * message (it is lost), `"after-store"` right after storing it and before its RECEIPT (stored, but
 * the client never hears so). `nth` picks the connection's nth SEND (default 1).
 *
 * @example
 * ```ts
 * import type { StompTestDropOnSend } from "./faults.ts";
 * const fault: StompTestDropOnSend = { at: "after-store", nth: 3 };
 * ```
 */
export interface StompTestDropOnSend {
  readonly at: "before-store" | "after-store";
  readonly nth?: number;
}

/**
 * The fault settings. Each one left `undefined` is off (on the broker) or inherited from the
 * broker's settings (for one connection, see `StompTestBroker.nextConnection`).
 *
 * @example
 * ```ts
 * import type { StompTestFaultOptions } from "./faults.ts";
 * const faults: StompTestFaultOptions = { delay: 50, errorOnSend: { close: false } };
 * ```
 */
export interface StompTestFaultOptions {
  /** Accept connections and read them, never answer anything (no CONNECTED, no heart-beat). */
  blackHole?: boolean;
  /** Answer CONNECT with ERROR (this text as `message` when a string) and close. */
  errorOnConnect?: boolean | string;
  /** Answer the next SEND with ERROR instead of routing it. One-shot: it clears itself once used. */
  errorOnSend?: boolean | StompTestErrorFault;
  /**
   * Drop the connection at a SEND, before or after storing it (no RECEIPT either way). One-shot:
   * it clears itself once used.
   */
  dropOnSend?: StompTestDropOnSend;
  /** Drop a connection once it has sent this many frames (the last one is handled first). */
  dropAfterFrames?: number;
  /** Stop sending heart-beats (the client should declare the broker dead). */
  stopHeartBeating?: boolean;
  /** Milliseconds to wait before each frame the broker sends (heart-beats are not delayed). */
  delay?: number;
  /** Refuse new connections: the connector rejects, the TCP listener closes them at once. */
  refuse?: boolean;
}

type Key = keyof StompTestFaultOptions;

const checks: { readonly [K in Key]-?: (value: unknown) => boolean } = {
  blackHole: (v) => typeof v === "boolean",
  errorOnConnect: (v) => typeof v === "boolean" || typeof v === "string",
  errorOnSend: (v) =>
    typeof v === "boolean" ||
    (typeof v === "object" && v !== null &&
      ["string", "undefined"].includes(typeof (v as StompTestErrorFault).message) &&
      ["boolean", "undefined"].includes(typeof (v as StompTestErrorFault).close)),
  dropOnSend: (v) =>
    typeof v === "object" && v !== null &&
    ["before-store", "after-store"].includes((v as StompTestDropOnSend).at) &&
    ((v as StompTestDropOnSend).nth === undefined ||
      (Number.isSafeInteger((v as StompTestDropOnSend).nth) && (v as StompTestDropOnSend).nth! > 0)),
  dropAfterFrames: (v) => Number.isSafeInteger(v) && (v as number) > 0,
  stopHeartBeating: (v) => typeof v === "boolean",
  delay: (v) => typeof v === "number" && Number.isFinite(v) && v >= 0,
  refuse: (v) => typeof v === "boolean",
};

/** Throws a TypeError for an unknown fault name or a value of the wrong kind. */
export function checkFaults(faults: StompTestFaultOptions): StompTestFaultOptions {
  if (typeof faults !== "object" || faults === null) throw new TypeError("faults must be an object");
  for (const [name, value] of Object.entries(faults)) {
    const check = checks[name as Key];
    if (!check) throw new TypeError(`unknown fault ${JSON.stringify(name)} (known: ${Object.keys(checks)})`);
    if (value !== undefined && !check(value)) {
      throw new TypeError(`fault ${name}: invalid value ${JSON.stringify(value)}`);
    }
  }
  return faults;
}

/**
 * The broker-wide fault settings, changeable at any time; a bad value throws a TypeError when set.
 *
 * @example
 * ```ts
 * import { StompTestFaults } from "./faults.ts";
 * const faults = new StompTestFaults();
 * faults.delay = 100;
 * faults.set({ errorOnSend: { message: "no" } });
 * faults.reset(); // everything off again
 * ```
 */
export class StompTestFaults implements StompTestFaultOptions {
  #values: StompTestFaultOptions = {};

  /** Starts with the given settings (validated). */
  constructor(init: StompTestFaultOptions = {}) {
    this.set(init);
  }

  /** Sets several faults at once (validated first: nothing changes when one is bad). */
  set(faults: StompTestFaultOptions): this {
    const values: Record<string, unknown> = { ...this.#values, ...checkFaults(faults) };
    for (const name in values) if (values[name] === undefined) delete values[name];
    this.#values = values;
    return this;
  }

  /** Switches every fault off. */
  reset(): this {
    this.#values = {};
    return this;
  }

  /** The current settings as a plain object. */
  toJSON(): StompTestFaultOptions {
    return { ...this.#values };
  }

  #put<K extends Key>(name: K, value: StompTestFaultOptions[K]): void {
    this.set({ [name]: value });
  }

  /** See {@link StompTestFaultOptions.blackHole}. */
  get blackHole(): boolean | undefined {
    return this.#values.blackHole;
  }
  set blackHole(value: boolean | undefined) {
    this.#put("blackHole", value);
  }
  /** See {@link StompTestFaultOptions.errorOnConnect}. */
  get errorOnConnect(): boolean | string | undefined {
    return this.#values.errorOnConnect;
  }
  set errorOnConnect(value: boolean | string | undefined) {
    this.#put("errorOnConnect", value);
  }
  /** See {@link StompTestFaultOptions.errorOnSend}. */
  get errorOnSend(): boolean | StompTestErrorFault | undefined {
    return this.#values.errorOnSend;
  }
  set errorOnSend(value: boolean | StompTestErrorFault | undefined) {
    this.#put("errorOnSend", value);
  }
  /** See {@link StompTestFaultOptions.dropOnSend}. */
  get dropOnSend(): StompTestDropOnSend | undefined {
    return this.#values.dropOnSend;
  }
  set dropOnSend(value: StompTestDropOnSend | undefined) {
    this.#put("dropOnSend", value);
  }
  /** See {@link StompTestFaultOptions.dropAfterFrames}. */
  get dropAfterFrames(): number | undefined {
    return this.#values.dropAfterFrames;
  }
  set dropAfterFrames(value: number | undefined) {
    this.#put("dropAfterFrames", value);
  }
  /** See {@link StompTestFaultOptions.stopHeartBeating}. */
  get stopHeartBeating(): boolean | undefined {
    return this.#values.stopHeartBeating;
  }
  set stopHeartBeating(value: boolean | undefined) {
    this.#put("stopHeartBeating", value);
  }
  /** See {@link StompTestFaultOptions.delay}. */
  get delay(): number | undefined {
    return this.#values.delay;
  }
  set delay(value: number | undefined) {
    this.#put("delay", value);
  }
  /** See {@link StompTestFaultOptions.refuse}. */
  get refuse(): boolean | undefined {
    return this.#values.refuse;
  }
  set refuse(value: boolean | undefined) {
    this.#put("refuse", value);
  }
}

/** The faults one connection sees: its own settings first, then the broker's (read live). */
export class FaultView {
  readonly #own: StompTestFaultOptions;
  readonly #broker: StompTestFaults;

  constructor(own: StompTestFaultOptions, broker: StompTestFaults) {
    this.#own = { ...own };
    this.#broker = broker;
  }

  get<K extends Exclude<Key, "errorOnSend" | "dropOnSend">>(name: K): StompTestFaultOptions[K] {
    return this.#own[name] ?? this.#broker[name];
  }

  /**
   * The dropOnSend fault when the connection's `sends`th SEND is the one it names; then cleared
   * where it was found: it fires once.
   */
  takeDropOnSend(sends: number): StompTestDropOnSend | undefined {
    const own = this.#own.dropOnSend;
    if (own !== undefined) {
      if ((own.nth ?? 1) !== sends) return undefined;
      this.#own.dropOnSend = undefined;
      return own;
    }
    const shared = this.#broker.dropOnSend;
    if (shared === undefined || (shared.nth ?? 1) !== sends) return undefined;
    this.#broker.dropOnSend = undefined;
    return shared;
  }

  /** The errorOnSend fault, if set, cleared where it was found: it fires once. */
  takeErrorOnSend(): StompTestErrorFault | undefined {
    const own = this.#own.errorOnSend;
    if (own === false) return undefined;
    if (own !== undefined) {
      this.#own.errorOnSend = undefined;
      return own === true ? {} : own;
    }
    const shared = this.#broker.errorOnSend;
    if (!shared) return undefined;
    this.#broker.errorOnSend = undefined;
    return shared === true ? {} : shared;
  }
}
