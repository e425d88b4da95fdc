/**
 * {@link StompSpec}: the protocol constants under the names Python stompest users know
 * (`StompSpec.ACK_CLIENT_INDIVIDUAL`, `StompSpec.SELECTOR_HEADER`, `StompSpec.VERSION_1_2`, …). The
 * per-version tables are drawn from spec.ts; the names are spelled out (as stompest has them) and a
 * test holds them to spec.ts's `Command`, `Header` and `AckMode`.
 *
 * @module
 */

import { StompProtocolError } from "./protocol_error.ts";
import { DEFAULT_VERSION, SPEC, type StompVersion, UNESCAPED_COMMANDS, VERSIONS } from "./spec.ts";

type PerVersion<T> = Readonly<Record<StompVersion, T>>;

const perVersion = <T>(f: (v: StompVersion) => T): PerVersion<T> =>
  Object.freeze(Object.fromEntries(VERSIONS.map((v) => [v, f(v)])) as Record<StompVersion, T>);

const commandsOf = (v: StompVersion): ReadonlySet<string> =>
  new Set([...SPEC[v].clientCommands, ...SPEC[v].serverCommands]);

/**
 * Python stompest's `StompSpec`: every constant of its `stompest.protocol.StompSpec` under the same
 * name, plus its `version()`, `versions()` and `codec()`. One difference: `DEFAULT_VERSION` is this
 * library's default, `"1.2"` (stompest's was `"1.0"`). Sets are `ReadonlySet`s, per-version tables
 * are records keyed by version. The library's own tables are {@link SPEC}, {@link Command},
 * {@link Header} and {@link AckMode}.
 *
 * @example
 * ```ts
 * import { StompSpec } from "./stompest_spec.ts";
 * const headers = { ack: StompSpec.ACK_CLIENT_INDIVIDUAL, [StompSpec.SELECTOR_HEADER]: "color = 'red'" };
 * console.log(StompSpec.VERSION_1_2, headers); // "1.2" { ack: "client-individual", selector: "color = 'red'" }
 * console.log(StompSpec.CLIENT_COMMANDS[StompSpec.VERSION_1_0].has(StompSpec.NACK)); // false
 * console.log(StompSpec.versions("1.1")); // ["1.0", "1.1"]
 * ```
 */
export class StompSpec {
  /** `"1.0"` */
  static readonly VERSION_1_0 = "1.0";
  /** `"1.1"` */
  static readonly VERSION_1_1 = "1.1";
  /** `"1.2"` */
  static readonly VERSION_1_2 = "1.2";
  /** Every version, oldest first. */
  static readonly VERSIONS: readonly StompVersion[] = VERSIONS;
  /** This library's default version, `"1.2"` (stompest's was `"1.0"`). */
  static readonly DEFAULT_VERSION: StompVersion = DEFAULT_VERSION;

  /** `"ABORT"` */
  static readonly ABORT = "ABORT";
  /** `"ACK"` */
  static readonly ACK = "ACK";
  /** `"BEGIN"` */
  static readonly BEGIN = "BEGIN";
  /** `"COMMIT"` */
  static readonly COMMIT = "COMMIT";
  /** `"CONNECT"` */
  static readonly CONNECT = "CONNECT";
  /** `"DISCONNECT"` */
  static readonly DISCONNECT = "DISCONNECT";
  /** `"NACK"` (1.1+) */
  static readonly NACK = "NACK";
  /** `"SEND"` */
  static readonly SEND = "SEND";
  /** `"STOMP"` (1.1+) */
  static readonly STOMP = "STOMP";
  /** `"SUBSCRIBE"` */
  static readonly SUBSCRIBE = "SUBSCRIBE";
  /** `"UNSUBSCRIBE"` */
  static readonly UNSUBSCRIBE = "UNSUBSCRIBE";
  /** The commands a client may send, per version. */
  static readonly CLIENT_COMMANDS: PerVersion<ReadonlySet<string>> = perVersion((v) =>
    SPEC[v].clientCommands
  );

  /** `"CONNECTED"` */
  static readonly CONNECTED = "CONNECTED";
  /** `"ERROR"` */
  static readonly ERROR = "ERROR";
  /** `"MESSAGE"` */
  static readonly MESSAGE = "MESSAGE";
  /** `"RECEIPT"` */
  static readonly RECEIPT = "RECEIPT";
  /** The commands a server may send, per version. */
  static readonly SERVER_COMMANDS: PerVersion<ReadonlySet<string>> = perVersion((v) =>
    SPEC[v].serverCommands
  );

  /** Every command, per version. */
  static readonly COMMANDS: PerVersion<ReadonlySet<string>> = perVersion(commandsOf);
  /** The commands that may carry a body, per version (1.0: every command). */
  static readonly COMMANDS_BODY_ALLOWED: PerVersion<ReadonlySet<string>> = perVersion((v) =>
    SPEC[v].bodyCommands ?? commandsOf(v)
  );

  /** `"\n"` */
  static readonly LINE_DELIMITER = "\n";
  /** Stripped before the LF of a command or header line: 1.2 only. */
  static readonly STRIP_LINE_DELIMITER: Readonly<Partial<Record<StompVersion, string>>> = Object.freeze({
    "1.2": "\r",
  });

  /** `"\\"` */
  static readonly ESCAPE_CHARACTER = "\\";
  /** Per version: the letter after the escape character → the character it stands for. */
  static readonly ESCAPED_CHARACTERS: PerVersion<Readonly<Record<string, string>>> = perVersion((v) =>
    SPEC[v].unescapes
  );
  /** Per version, the commands whose headers are not escaped (1.0: all; 1.1+: CONNECT, CONNECTED). */
  static readonly COMMANDS_ESCAPE_EXCLUDED: PerVersion<ReadonlySet<string>> = perVersion((v) =>
    Object.keys(SPEC[v].escapes).length === 0 ? commandsOf(v) : UNESCAPED_COMMANDS
  );

  /** `"\0"` */
  static readonly FRAME_DELIMITER = "\0";
  /** `":"` */
  static readonly HEADER_SEPARATOR = ":";

  /** `"accept-version"` */
  static readonly ACCEPT_VERSION_HEADER = "accept-version";
  /** `"ack"` */
  static readonly ACK_HEADER = "ack";
  /** `"content-length"` */
  static readonly CONTENT_LENGTH_HEADER = "content-length";
  /** `"content-type"` */
  static readonly CONTENT_TYPE_HEADER = "content-type";
  /** `"destination"` */
  static readonly DESTINATION_HEADER = "destination";
  /** `"heart-beat"` */
  static readonly HEART_BEAT_HEADER = "heart-beat";
  /** `"host"` */
  static readonly HOST_HEADER = "host";
  /** `"id"` */
  static readonly ID_HEADER = "id";
  /** `"login"` */
  static readonly LOGIN_HEADER = "login";
  /** `"message-id"` */
  static readonly MESSAGE_ID_HEADER = "message-id";
  /** `"passcode"` */
  static readonly PASSCODE_HEADER = "passcode";
  /** `"receipt"` */
  static readonly RECEIPT_HEADER = "receipt";
  /** `"receipt-id"` */
  static readonly RECEIPT_ID_HEADER = "receipt-id";
  /** `"selector"`: a broker extension (ActiveMQ, Artemis) selecting messages with SQL-92. */
  static readonly SELECTOR_HEADER = "selector";
  /** `"session"` */
  static readonly SESSION_HEADER = "session";
  /** `"server"` */
  static readonly SERVER_HEADER = "server";
  /** `"subscription"` */
  static readonly SUBSCRIPTION_HEADER = "subscription";
  /** `"transaction"` */
  static readonly TRANSACTION_HEADER = "transaction";
  /** `"version"` */
  static readonly VERSION_HEADER = "version";

  /** `"auto"` */
  static readonly ACK_AUTO = "auto";
  /** `"client"` */
  static readonly ACK_CLIENT = "client";
  /** `"client-individual"` (1.1+) */
  static readonly ACK_CLIENT_INDIVIDUAL = "client-individual";
  /** The modes in which the client acks. */
  static readonly CLIENT_ACK_MODES: ReadonlySet<string> = new Set(["client", "client-individual"]);

  /** `","` */
  static readonly HEART_BEAT_SEPARATOR = ",";

  /** `version` checked (default {@link StompSpec.DEFAULT_VERSION}); an unknown one is a {@link StompProtocolError}. */
  static version(version?: string): StompVersion {
    const v = version ?? DEFAULT_VERSION;
    if (!(VERSIONS as readonly string[]).includes(v)) {
      throw new StompProtocolError(`Version is not supported [${v}]`);
    }
    return v as StompVersion;
  }

  /** Every version up to and including `version`, oldest first. */
  static versions(version?: string): StompVersion[] {
    const last = StompSpec.version(version);
    return VERSIONS.slice(0, VERSIONS.indexOf(last) + 1);
  }

  /** The text encoding of headers: `"ascii"` in 1.0, `"utf-8"` after. */
  static codec(version?: string): "ascii" | "utf-8" {
    return SPEC[StompSpec.version(version)].utf8 ? "utf-8" : "ascii";
  }
}
