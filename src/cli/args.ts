/**
 * The command line: `node:util`'s `parseArgs` (in Deno and Node alike) over the global options
 * plus a command's own, then the broker URI, the credentials and the client options they make.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { AsyncStompOptions, StompConfigOptions, StompVersion } from "../core.ts";
import { UsageError } from "./exit.ts";
import type { CliRuntime } from "./runtime.ts";

/** A `parseArgs` option declaration. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
}

/** The options every command takes. */
export const GLOBAL_OPTIONS = {
  login: { type: "string" },
  passcode: { type: "string" },
  "passcode-file": { type: "string" },
  host: { type: "string" },
  version: { type: "string" },
  ca: { type: "string", multiple: true },
  cert: { type: "string" },
  key: { type: "string" },
  "heart-beat": { type: "string" },
  timeout: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const satisfies Record<string, OptionSpec>;

/** The global options' help text, shown under every command's. */
export const GLOBAL_HELP = `Global options:
  --login NAME          CONNECT login (default $STOMP_LOGIN)
  --passcode-file FILE  read the passcode from FILE (default: $STOMP_PASSCODE); --passcode P works
                        but warns: other users see it in \`ps\`
  --host VHOST          CONNECT host header (RabbitMQ's virtual host; default /)
  --version V           highest STOMP version to offer: 1.0, 1.1 or 1.2 (default 1.2)
  --ca FILE             trust this PEM CA for ssl:// and wss:// (repeatable)
  --cert FILE --key FILE  TLS client certificate and key (PEM), for brokers that require one
  --heart-beat C,S      heart-beats in ms: how often we send, how often we want the broker's
  --timeout MS          longest wait for the broker: connecting, a receipt, a reply (default 10000)
  -v, --verbose         connection events and a summary on standard error
  -h, --help            this help
The URI is tcp://, ssl://, ws://, wss:// or an ActiveMQ failover: URI (default $STOMP_URL).
Exit status: 0 ok, 1 usage, 2 connection failed, 3 broker ERROR, 4 timeout, 130 interrupted.`;

/** Parsed values: strings, booleans and lists, as `parseArgs` returns them. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** What {@link parseCommandLine} returns. */
export interface ParsedArgs {
  readonly values: Values;
  readonly positionals: string[];
}

/**
 * Parses a command's arguments (after the command name). Unknown options and missing values are
 * {@link UsageError}s naming the option. A bare `--receipt` becomes `--receipt=each`, so that the
 * option can be a flag and take `=last`.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./args.ts";
 * const { values, positionals } = parseCommandLine(["-v", "tcp://h:61613"], {});
 * console.log(values.verbose, positionals); // true ["tcp://h:61613"]
 * ```
 */
export function parseCommandLine(args: readonly string[], options: Record<string, OptionSpec>): ParsedArgs {
  const all = { ...GLOBAL_OPTIONS, ...options };
  const normalized = args.map((a) => a === "--receipt" && "receipt" in options ? "--receipt=each" : a);
  try {
    const { values, positionals } = parseArgs({
      args: normalized,
      options: all,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** A URI, not a destination: a scheme the library connects to. */
function isUri(text: string): boolean {
  return /^(tcp|ssl|ws|wss):\/\//i.test(text) || /^failover:/i.test(text);
}

/**
 * Takes the broker URI off the positionals (or from `$STOMP_URL` when the first is not a URI).
 *
 * @example
 * ```ts
 * import { takeUri } from "./args.ts";
 * const rest = ["tcp://127.0.0.1:61613", "/queue/a"];
 * console.log(takeUri(rest, () => undefined), rest); // "tcp://127.0.0.1:61613" ["/queue/a"]
 * ```
 */
export function takeUri(positionals: string[], env: (name: string) => string | undefined): string {
  if (positionals.length > 0 && isUri(positionals[0])) return positionals.shift()!;
  const fromEnv = env("STOMP_URL");
  if (fromEnv) return fromEnv;
  throw new UsageError("no broker URI: give one (e.g. tcp://127.0.0.1:61613) or set STOMP_URL");
}

/**
 * A positive integer option (or `fallback`); anything else is a {@link UsageError}.
 *
 * @example
 * ```ts
 * import { positiveInt } from "./args.ts";
 * console.log(positiveInt({ count: "5" }, "count", 1)); // 5
 * ```
 */
export function positiveInt(values: Values, name: string, fallback: number): number;
export function positiveInt(values: Values, name: string, fallback?: number): number | undefined;
export function positiveInt(values: Values, name: string, fallback?: number): number | undefined {
  const text = values[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (typeof text !== "string" || !/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** The default for `--timeout`. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Everything a command needs to open its client. */
export interface ClientSettings {
  readonly uri: string;
  readonly options: StompConfigOptions & AsyncStompOptions;
  /** `--timeout` (or its default). */
  readonly timeout: number;
}

const VERSIONS: readonly StompVersion[] = ["1.0", "1.1", "1.2"];

function heartBeats(text: string): readonly [number, number] {
  const m = /^(\d+),(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--heart-beat must be C,S in milliseconds (e.g. 10000,10000), got "${text}"`);
  return [Number(m[1]), Number(m[2])];
}

async function passcodeOf(values: Values, rt: CliRuntime): Promise<string | undefined> {
  const file = values["passcode-file"] as string | undefined;
  if (values.passcode !== undefined && file !== undefined) {
    throw new UsageError("give either --passcode or --passcode-file");
  }
  if (values.passcode !== undefined) {
    rt.stderr(
      "stompest: warning: --passcode is visible to other users (ps); use STOMP_PASSCODE or --passcode-file\n",
    );
    return values.passcode as string;
  }
  if (file !== undefined) {
    const text = new TextDecoder().decode(await readOrUsage(rt, file, "--passcode-file"));
    return text.replace(/\r?\n$/, "");
  }
  return rt.env("STOMP_PASSCODE");
}

/**
 * Reads a file named by an option; a missing or unreadable file is a {@link UsageError} naming it.
 *
 * @example
 * ```ts ignore
 * const pem = await readOrUsage(rt, "/etc/ca.pem", "--ca");
 * ```
 */
export async function readOrUsage(rt: CliRuntime, path: string, option: string): Promise<Uint8Array> {
  try {
    return await rt.readFile(path);
  } catch (error) {
    throw new UsageError(`${option} ${path}: ${error instanceof Error ? error.message : error}`, {
      cause: error,
    });
  }
}

/**
 * The client settings from the global options and the environment.
 *
 * @example
 * ```ts ignore
 * const settings = await clientSettings("tcp://127.0.0.1:61613", values, rt, { reconnect: false });
 * ```
 */
export async function clientSettings(
  uri: string,
  values: Values,
  rt: CliRuntime,
  extra: StompConfigOptions & AsyncStompOptions = {},
): Promise<ClientSettings> {
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError("--cert and --key go together (a PEM client certificate and its PEM key)");
  }
  const timeout = positiveInt(values, "timeout", DEFAULT_TIMEOUT_MS);
  const version = values.version as string | undefined;
  if (version !== undefined && !VERSIONS.includes(version as StompVersion)) {
    throw new UsageError(`--version must be 1.0, 1.1 or 1.2, got "${version}"`);
  }
  const caFiles = (values.ca as string[] | undefined) ?? [];
  const caCerts = await Promise.all(
    caFiles.map(async (f) => new TextDecoder().decode(await readOrUsage(rt, f, "--ca"))),
  );
  const pem = (option: string) => async (f: string) =>
    new TextDecoder().decode(await readOrUsage(rt, f, option));
  const cert = values.cert === undefined ? undefined : await pem("--cert")(values.cert as string);
  const key = values.key === undefined ? undefined : await pem("--key")(values.key as string);
  const tls = {
    ...(caCerts.length > 0 ? { caCerts } : {}),
    ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
  };
  const login = (values.login as string | undefined) ?? rt.env("STOMP_LOGIN");
  const passcode = await passcodeOf(values, rt);
  const options: StompConfigOptions & AsyncStompOptions = {
    ...(login !== undefined ? { login } : {}),
    ...(passcode !== undefined ? { passcode } : {}),
    ...(values.host !== undefined ? { host: values.host as string } : {}),
    ...(version !== undefined ? { version: version as StompVersion } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
    ...(values["heart-beat"] !== undefined ? { heartBeats: heartBeats(values["heart-beat"] as string) } : {}),
    connectTimeout: timeout,
    connectedTimeout: timeout,
    receiptTimeout: timeout,
    ...extra,
  };
  return { uri, options, timeout };
}
