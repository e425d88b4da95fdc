/**
 * A frame's header block as it goes on the wire: the command checked, the body allowed, every
 * header name and value escaped by its version's table (or refused). Shared by
 * `StompFrame.toBytes` and the writer, which encodes a whole batch into one buffer.
 *
 * @module
 */

import { StompFrameError } from "../errors.ts";
import { ALL_COMMANDS, SPEC, type StompVersion, UNESCAPED_COMMANDS } from "./spec.ts";

/** How headers are written for one (version, command) kind: escaped by a table or refused. */
interface HeaderCodec {
  /** Any character that needs a closer look (escaping or refusal). */
  readonly needsWork: RegExp;
  readonly forbiddenName: RegExp;
  readonly forbiddenValue: RegExp;
  readonly escapeRe?: RegExp;
  readonly escapes: Readonly<Record<string, string>>;
}

const charClass = (chars: string) => chars.replace(/[\\\]^-]/g, "\\$&");

function makeCodec(escapes: Readonly<Record<string, string>>, name: string, value: string): HeaderCodec {
  const escapable = charClass(Object.keys(escapes).join(""));
  return {
    needsWork: new RegExp(`[${escapable}${charClass(name + value)}]`),
    forbiddenName: new RegExp(`[${charClass(name)}]`),
    forbiddenValue: new RegExp(`[${charClass(value)}]`),
    escapeRe: escapable ? new RegExp(`[${escapable}]`, "g") : undefined,
    escapes,
  };
}

// NUL never belongs in a header: many parsers take it as the end of the frame. Without escaping a
// LF would end the line (header injection) and a ':' in a name would move the split; CONNECT and
// CONNECTED also refuse CR, because a 1.2 peer strips it. 1.1 has no escape for CR and RabbitMQ
// closes the connection over a raw one, so 1.1 refuses it too.
const CODECS = {
  "1.0": makeCodec({}, "\n:\0", "\n\0"),
  "1.1": makeCodec(SPEC["1.1"].escapes, "\r\0", "\r\0"),
  "1.2": makeCodec(SPEC["1.2"].escapes, "\0", "\0"),
  never: makeCodec({}, "\r\n:\0", "\r\n\0"),
};

/** Escapes one header name or value, or refuses it; `name` is the header's name (for the message). */
function encodeHeaderText(
  text: string,
  name: string | undefined,
  codec: HeaderCodec,
  command: string,
): string {
  const isName = name === undefined;
  if ((isName ? codec.forbiddenName : codec.forbiddenValue).test(text)) {
    // The value of a passcode header is a secret: it is never echoed, not even in part.
    const shown = name === "passcode"
      ? "of passcode"
      : JSON.stringify(text.length > 40 ? text.slice(0, 40) + "…" : text);
    throw new StompFrameError(
      `${command}: header ${isName ? "name" : "value"} ${shown} cannot be written ` +
        "(it would break the frame or inject a header)",
    );
  }
  return codec.escapeRe ? text.replace(codec.escapeRe, (c) => codec.escapes[c]) : text;
}

/** `text` as written: as it is unless it holds a character to escape or refuse (the usual case). */
function headerText(text: string, name: string | undefined, codec: HeaderCodec, command: string): string {
  return codec.needsWork.test(text) ? encodeHeaderText(text, name, codec, command) : text;
}

const BAD_COMMAND = /[\r\n\0:]/;

/**
 * The header block of a frame (`COMMAND\nname:value\n...\n\n`), escaped for `version`. Throws
 * {@link StompFrameError} when a header cannot be represented (header injection) or the command
 * may not carry a body in this version.
 *
 * @example
 * ```ts
 * import { frameHead } from "./wire.ts";
 * console.log(JSON.stringify(frameHead("SEND", [["destination", "/q"]], 0, "1.2"))); // "SEND\ndestination:/q\n\n"
 * ```
 */
export function frameHead(
  command: string,
  raw: ReadonlyArray<readonly [string, string]>,
  bodyLength: number,
  version: StompVersion,
): string {
  const codec = codecFor(command, bodyLength, version);
  let head = command + "\n";
  for (let i = 0; i < raw.length; i++) {
    const name = raw[i][0], value = raw[i][1];
    head += headerText(name, undefined, codec, command) + ":" + headerText(value, name, codec, command) +
      "\n";
  }
  return head + "\n";
}

/** Checks the command and whether it may carry the body; returns how its headers are written. */
function codecFor(command: string, bodyLength: number, version: StompVersion): HeaderCodec {
  if (!ALL_COMMANDS.has(command) && (command === "" || BAD_COMMAND.test(command))) {
    throw new StompFrameError(`invalid command ${JSON.stringify(command)}`);
  }
  const bodyCommands = SPEC[version].bodyCommands;
  if (bodyLength > 0 && bodyCommands !== undefined && !bodyCommands.has(command)) {
    throw new StompFrameError(`${command} frames may not carry a body in STOMP ${version}`);
  }
  return UNESCAPED_COMMANDS.has(command) ? CODECS.never : CODECS[version];
}

/**
 * At most how many bytes {@link writeFrameHead} writes for these headers: every character
 * escaped (two) and three UTF-8 bytes each.
 *
 * @example
 * ```ts
 * import { headBound } from "./wire.ts";
 * console.log(headBound("SEND", [["destination", "/q"]])); // 102
 * ```
 */
export function headBound(command: string, raw: ReadonlyArray<readonly [string, string]>): number {
  let chars = command.length + 2;
  for (let i = 0; i < raw.length; i++) chars += (raw[i][0].length + raw[i][1].length) * 2 + 2;
  return chars * 3;
}

const encoder = new TextEncoder();

/** Writes `text` as UTF-8 at `at`; returns the end. ASCII without a call out. */
function put(text: string, buffer: Uint8Array, at: number): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return at - i + encoder.encodeInto(text, buffer.subarray(at - i)).written;
    buffer[at++] = c;
  }
  return at;
}

/**
 * Writes the bytes of {@link frameHead} straight into `buffer` at `at` (room for
 * {@link headBound} bytes) and returns the end: the same checks, the same escaping, but no
 * header string is built (a concatenated string must be flattened again to be encoded). Throws
 * {@link StompFrameError} as frameHead does; the bytes written before a throw mean nothing.
 *
 * @example
 * ```ts
 * import { headBound, writeFrameHead } from "./wire.ts";
 * const raw: [string, string][] = [["destination", "/q"]];
 * const buffer = new Uint8Array(headBound("SEND", raw));
 * const end = writeFrameHead("SEND", raw, 0, "1.2", buffer, 0);
 * console.log(new TextDecoder().decode(buffer.subarray(0, end)) === "SEND\ndestination:/q\n\n"); // true
 * ```
 */
export function writeFrameHead(
  command: string,
  raw: ReadonlyArray<readonly [string, string]>,
  bodyLength: number,
  version: StompVersion,
  buffer: Uint8Array,
  at: number,
): number {
  const codec = codecFor(command, bodyLength, version);
  at = put(command, buffer, at);
  buffer[at++] = 10;
  for (let i = 0; i < raw.length; i++) {
    const name = raw[i][0], value = raw[i][1];
    at = put(headerText(name, undefined, codec, command), buffer, at);
    buffer[at++] = 58;
    at = put(headerText(value, name, codec, command), buffer, at);
    buffer[at++] = 10;
  }
  buffer[at++] = 10;
  return at;
}
