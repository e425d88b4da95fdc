/**
 * {@link StompParser}: an incremental parser from byte chunks to frames and heart-beats.
 *
 * It works on whole chunks with `indexOf` and `subarray` and decodes each header block with one
 * TextDecoder call. A body that lies inside one chunk is copied exactly once; a body with a
 * content-length that spans chunks is copied once into a buffer of that length and never scanned.
 *
 * @module
 */

import { StompFrameError } from "./errors.ts";
import { StompFrame, StompHeartBeat } from "./frame.ts";
import { copyOf } from "./pool.ts";
import { checkVersion, DEFAULT_VERSION, SPEC, type StompVersion, UNESCAPED_COMMANDS } from "./spec.ts";

/**
 * Bounds on what the parser buffers. Exceeding one raises a {@link StompFrameError} whose `limit`
 * names it, as soon as it is exceeded: memory stays bounded even when a peer never sends the NUL.
 *
 * @example
 * ```ts
 * import { StompParser } from "./parser.ts";
 * const parser = new StompParser("1.2", { maxBodyBytes: 1 << 20 });
 * ```
 */
export interface StompParserLimits {
  /** Header block plus body, in bytes. Default 64 MiB. */
  readonly maxFrameBytes: number;
  /** Body bytes. Default 64 MiB. */
  readonly maxBodyBytes: number;
  /** Header lines after the command line. Default 1000. */
  readonly maxHeaderLines: number;
  /** Bytes in one command or header line. Default 64 KiB. */
  readonly maxHeaderLineBytes: number;
}

/**
 * The limits a parser uses when none are given.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARSER_LIMITS } from "./parser.ts";
 * console.log(DEFAULT_PARSER_LIMITS.maxHeaderLines); // 1000
 * ```
 */
export const DEFAULT_PARSER_LIMITS: StompParserLimits = Object.freeze({
  maxFrameBytes: 64 * 1024 * 1024,
  maxBodyBytes: 64 * 1024 * 1024,
  maxHeaderLines: 1000,
  maxHeaderLineBytes: 64 * 1024,
});

const LF = 0x0a, CR = 0x0d, NUL = 0;
const EMPTY = new Uint8Array(0);
const HEART_BEAT = StompHeartBeat.INSTANCE;
const decoder = new TextDecoder();
const CONTENT_LENGTH = /^[0-9]{1,15}$/;
const NON_ASCII = /[^\0-\x7f]/;
const MIN_WINDOW = 256, MAX_WINDOW = 8192;

// Where the parser is between two add() calls.
const HEAD = 0, BODY_LENGTH = 1, BODY_SCAN = 2, SKIP_BYTES = 3, SKIP_TO_NUL = 4;

/** Per-version lookups, derived once from the spec tables. */
interface Dialect {
  readonly commands: ReadonlySet<string>;
  readonly bodyCommands: ReadonlySet<string> | undefined;
  readonly unescapes: Readonly<Record<string, string>>;
  readonly escaped: boolean;
  readonly forbiddenRaw: RegExp | undefined;
  readonly stripCR: boolean;
  readonly heartBeats: boolean;
}

const dialects = Object.fromEntries(
  Object.entries(SPEC).map(([v, spec]) => [v, {
    commands: new Set([...spec.clientCommands, ...spec.serverCommands]),
    bodyCommands: spec.bodyCommands,
    unescapes: spec.unescapes,
    escaped: Object.keys(spec.unescapes).length > 0,
    forbiddenRaw: spec.forbiddenRaw ? new RegExp(`[${spec.forbiddenRaw}]`) : undefined,
    stripCR: spec.stripCR,
    heartBeats: spec.heartBeats,
  }]),
) as unknown as Record<StompVersion, Dialect>;

/** One pass over the text, so `\\n` decodes to a backslash and an `n` rather than a line feed. */
function unescape(text: string, table: Readonly<Record<string, string>>): string {
  let at = text.indexOf("\\");
  if (at < 0) return text;
  let out = "", from = 0;
  while (at >= 0) {
    const c = text.charAt(at + 1);
    const raw = c === "" ? undefined : table[c];
    if (raw === undefined) {
      throw new StompFrameError(
        c === "" ? "header ends with a lone backslash" : `undefined escape sequence \\${c} in a header`,
      );
    }
    out += text.slice(from, at) + raw;
    from = at + 2;
    at = text.indexOf("\\", from);
  }
  return out + text.slice(from);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * An incremental STOMP parser: feed it chunks of bytes with {@link StompParser.add}, take frames
 * and heart-beats with {@link StompParser.get} while {@link StompParser.canRead}.
 *
 * Bad input raises a {@link StompFrameError} from `add` once the whole chunk was processed: the
 * frames before and after the bad one are queued, the bad one is dropped and the parser
 * resynchronises at the next NUL. Chunks may be reused by the caller after `add` returns.
 *
 * @example
 * ```ts
 * import { StompParser } from "./parser.ts";
 * const parser = new StompParser("1.2");
 * parser.add(new TextEncoder().encode("MESSAGE\ndestination:/queue/a\nmessage-id:1\nsubscription:0\n\nhi\0"));
 * while (parser.canRead()) console.log(parser.get()?.info());
 * ```
 */
export class StompParser {
  #version: StompVersion;
  #dialect: Dialect;
  #limits: StompParserLimits;
  #queue: (StompFrame | StompHeartBeat)[] = [];
  #head = 0;
  #state = HEAD;
  /** Unparsed bytes of an incomplete header block (a copy: the caller may reuse its chunk). */
  #rest: Uint8Array = EMPTY;
  #command = "";
  #headers: [string, string][] = [];
  #headerBytes = 0;
  #body: Uint8Array = EMPTY;
  #filled = 0;
  #pieces: Uint8Array[] = [];
  #pieceBytes = 0;
  #skip = 0;
  #errors: StompFrameError[] | undefined;
  #swap: Uint8Array | undefined;
  /** How many bytes the fast path decodes: about twice the last header block. */
  #window = MIN_WINDOW;

  /** A parser for `version` (default 1.2) with the given limits (each defaults separately). */
  constructor(version: StompVersion = DEFAULT_VERSION, limits?: Partial<StompParserLimits>) {
    this.#version = checkVersion(version);
    this.#dialect = dialects[this.#version];
    this.#limits = { ...DEFAULT_PARSER_LIMITS, ...limits };
  }

  /** The version whose rules apply: escaping, CR stripping, heart-beats, commands. Settable. */
  get version(): StompVersion {
    return this.#version;
  }
  set version(version: StompVersion) {
    this.#version = checkVersion(version);
    this.#dialect = dialects[this.#version];
  }

  /** The limits in force. */
  get limits(): StompParserLimits {
    return this.#limits;
  }

  /** True while part of a frame has been read but not the whole of it. */
  get pending(): boolean {
    return this.#state !== HEAD || this.#rest.length > 0;
  }

  /** True when {@link StompParser.get} has a frame or heart-beat to return. */
  canRead(): boolean {
    return this.#head < this.#queue.length;
  }

  /** The next frame or heart-beat, or `undefined` when none is complete yet. */
  get(): StompFrame | StompHeartBeat | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const item = this.#queue[this.#head++];
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    return item;
  }

  /** Forgets every queued item and any partial frame. */
  reset(): void {
    this.#queue = [];
    this.#head = 0;
    this.#toHead();
    this.#rest = EMPTY;
  }

  /**
   * Parses a chunk. Throws {@link StompFrameError} for the first bad frame in it (after queueing
   * every good frame of the chunk); the parser stays usable.
   */
  add(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.#rest.length > 0) {
      buf = concat(this.#rest, chunk);
      this.#rest = EMPTY;
    }
    let pos = 0;
    while (pos < buf.length) {
      switch (this.#state) {
        case HEAD:
          pos = this.#parseHead(buf, pos);
          break;
        case BODY_LENGTH:
          pos = this.#fillBody(buf, pos);
          break;
        case BODY_SCAN:
          pos = this.#scanBody(buf, pos);
          break;
        case SKIP_BYTES: {
          const take = Math.min(this.#skip, buf.length - pos);
          this.#skip -= take;
          pos += take;
          if (this.#skip === 0) this.#state = SKIP_TO_NUL;
          break;
        }
        default: {
          const nul = buf.indexOf(NUL, pos);
          if (nul < 0) return this.#throwErrors();
          this.#state = HEAD;
          pos = nul + 1;
        }
      }
      if (this.#swap) {
        buf = this.#swap;
        this.#swap = undefined;
        pos = 0;
      }
    }
    this.#throwErrors();
  }

  #throwErrors(): void {
    const errors = this.#errors;
    if (!errors) return;
    this.#errors = undefined;
    if (errors.length === 1) throw errors[0];
    throw new StompFrameError(
      `${errors[0].message} (and ${errors.length - 1} more bad frames in this chunk)`,
      {
        cause: errors[0],
        limit: errors[0].limit,
      },
    );
  }

  /** Records an error and drops the frame: skip to the next NUL (or a known number of bytes first). */
  #fail(message: string, limit?: string, skipBytes = 0, cause?: unknown): void {
    (this.#errors ??= []).push(new StompFrameError(message, { limit, cause }));
    this.#toHead();
    if (skipBytes > 0) {
      this.#state = SKIP_BYTES;
      this.#skip = skipBytes;
    } else {
      this.#state = SKIP_TO_NUL;
    }
  }

  #toHead(): void {
    this.#state = HEAD;
    this.#headers = [];
    this.#body = EMPTY;
    this.#pieces = [];
    this.#pieceBytes =
      this.#filled =
      this.#skip =
      this.#headerBytes =
        0;
  }

  #emit(body: Uint8Array): void {
    const { bodyCommands } = this.#dialect;
    if (body.length > 0 && bodyCommands && !bodyCommands.has(this.#command)) {
      (this.#errors ??= []).push(
        new StompFrameError(`${this.#command} frames may not carry a body in STOMP ${this.#version}`),
      );
    } else {
      this.#queue.push(new StompFrame(this.#command, this.#headers, body, this.#version));
    }
    this.#toHead();
  }

  #parseHead(buf: Uint8Array, pos: number): number {
    const dialect = this.#dialect, len = buf.length;
    // EOLs between frames: heart-beats in 1.1+, padding in 1.0.
    while (pos < len) {
      const b = buf[pos];
      if (b === LF) pos += 1;
      else if (b === CR && dialect.stripCR) {
        if (pos + 1 === len) {
          this.#rest = buf.slice(pos);
          return len;
        }
        if (buf[pos + 1] !== LF) break;
        pos += 2;
      } else break;
      if (dialect.heartBeats) this.#queue.push(HEART_BEAT);
    }
    if (pos >= len) return len;

    const fast = this.#parseHeadFast(buf, pos);
    if (fast >= 0) return fast;
    const start = pos, { maxHeaderLines, maxHeaderLineBytes, maxFrameBytes } = this.#limits;
    let p = pos, lines = 0, headerEnd = -1;
    for (;;) {
      const lf = buf.indexOf(LF, p);
      if (lf < 0) {
        const nul = buf.indexOf(NUL, start);
        if (nul >= 0) {
          this.#fail("frame ended (NUL) before the blank line that ends its headers");
          return nul;
        }
        if (len - p > maxHeaderLineBytes) {
          this.#fail(`header line longer than ${maxHeaderLineBytes} bytes`, "maxHeaderLineBytes");
          return len;
        }
        if (len - start > maxFrameBytes) {
          this.#fail(`frame longer than ${maxFrameBytes} bytes`, "maxFrameBytes");
          return len;
        }
        this.#rest = buf.slice(start);
        return len;
      }
      const lineEnd = dialect.stripCR && lf > p && buf[lf - 1] === CR ? lf - 1 : lf;
      if (lineEnd === p && lines > 0) {
        headerEnd = p;
        p = lf + 1;
        break;
      }
      if (lf - p > maxHeaderLineBytes) {
        this.#fail(`header line longer than ${maxHeaderLineBytes} bytes`, "maxHeaderLineBytes");
        return p;
      }
      if (++lines > maxHeaderLines + 1) {
        this.#fail(`more than ${maxHeaderLines} header lines`, "maxHeaderLines");
        return p;
      }
      p = lf + 1;
    }
    const bodyStart = p;
    if (!this.#readHeaders(decoder.decode(buf.subarray(start, headerEnd)))) {
      const nul = buf.indexOf(NUL, start);
      return nul < 0 ? len : nul;
    }
    this.#headerBytes = bodyStart - start;
    return this.#startBody(buf, bodyStart);
  }

  /**
   * The common case in one decode: an ASCII header block that ends inside a small window. Finding
   * the blank line with one string search beats one typed-array indexOf per header line. Returns
   * -1 when the slow path must decide (non-ASCII headers, a long header block, an incomplete one).
   */
  #parseHeadFast(buf: Uint8Array, start: number): number {
    const windowEnd = Math.min(buf.length, start + this.#window);
    const text = decoder.decode(buf.subarray(start, windowEnd));
    let end = text.indexOf("\n\n");
    if (this.#dialect.stripCR) {
      const crlf = text.indexOf("\n\r\n");
      if (crlf >= 0 && (end < 0 || crlf < end)) end = crlf;
    }
    if (end < 0 || NON_ASCII.test(text.slice(0, end))) return -1;
    const { maxHeaderLines, maxHeaderLineBytes } = this.#limits;
    const headerText = text.slice(0, end + 1);
    const bodyStart = start + end + (text.charCodeAt(end + 1) === LF ? 2 : 3);
    this.#window = Math.min(MAX_WINDOW, Math.max(MIN_WINDOW, 2 * (bodyStart - start)));
    if (!this.#readHeaders(headerText, maxHeaderLines, maxHeaderLineBytes)) {
      const nul = buf.indexOf(NUL, start);
      return nul < 0 ? buf.length : nul;
    }
    this.#headerBytes = bodyStart - start;
    return this.#startBody(buf, bodyStart);
  }

  /** Parses the decoded header block into command and headers; false (and an error) if it is bad. */
  #readHeaders(text: string, maxLines = Infinity, maxLineLength = Infinity): boolean {
    const dialect = this.#dialect;
    if (text.indexOf("\0") >= 0) {
      this.#fail("frame ended (NUL) before the blank line that ends its headers");
      return false;
    }
    const lines = text.split("\n");
    const count = lines.length - 1; // the block ends with an EOL, so the last piece is empty
    if (count > maxLines + 1) {
      this.#fail(`more than ${maxLines} header lines`, "maxHeaderLines");
      return false;
    }
    if (maxLineLength < this.#window) {
      for (let i = 0; i < count; i++) {
        if (lines[i].length > maxLineLength) {
          this.#fail(`header line longer than ${maxLineLength} bytes`, "maxHeaderLineBytes");
          return false;
        }
      }
    }
    let command = lines[0];
    if (dialect.stripCR && command.charCodeAt(command.length - 1) === CR) command = command.slice(0, -1);
    if (!dialect.commands.has(command)) {
      this.#fail(`unknown command ${JSON.stringify(command.slice(0, 40))} for STOMP ${this.#version}`);
      return false;
    }
    const escaped = dialect.escaped && !UNESCAPED_COMMANDS.has(command);
    // Most header blocks hold no backslash and no CR: then nothing needs unescaping or a CR check.
    const unescapes = escaped && text.indexOf("\\") >= 0 ? dialect.unescapes : undefined;
    const forbidden = escaped && dialect.forbiddenRaw ? dialect.forbiddenRaw : undefined;
    const crCheck = forbidden && text.indexOf("\r") >= 0;
    const headers: [string, string][] = [];
    try {
      for (let i = 1; i < count; i++) {
        let line = lines[i];
        if (dialect.stripCR && line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1);
        const colon = line.indexOf(":");
        if (colon < 0) {
          throw new StompFrameError(`header line without ':' ${JSON.stringify(line.slice(0, 40))}`);
        }
        if (
          forbidden && (crCheck || line.indexOf(":", colon + 1) >= 0) &&
          (forbidden.test(line.slice(colon + 1)) || forbidden.test(line.slice(0, colon)))
        ) {
          throw new StompFrameError(`unescaped ':' or CR in header ${JSON.stringify(line.slice(0, 40))}`);
        }
        headers.push(
          unescapes
            ? [unescape(line.slice(0, colon), unescapes), unescape(line.slice(colon + 1), unescapes)]
            : [line.slice(0, colon), line.slice(colon + 1)],
        );
      }
    } catch (e) {
      this.#fail(`${command}: ${(e as Error).message}`);
      return false;
    }
    this.#command = command;
    this.#headers = headers;
    return true;
  }

  #startBody(buf: Uint8Array, pos: number): number {
    const { maxBodyBytes, maxFrameBytes } = this.#limits;
    let length: string | undefined;
    for (const [name, value] of this.#headers) {
      if (name === "content-length") {
        length = value;
        break;
      }
    }
    if (length === undefined) {
      const nul = buf.indexOf(NUL, pos);
      if (nul >= 0 && nul - pos <= maxBodyBytes && this.#headerBytes + nul - pos <= maxFrameBytes) {
        this.#emit(copyOf(buf, pos, nul));
        return nul + 1;
      }
      this.#state = BODY_SCAN;
      return this.#scanBody(buf, pos);
    }
    if (!CONTENT_LENGTH.test(length)) {
      this.#fail(`${this.#command}: invalid content-length ${JSON.stringify(length.slice(0, 40))}`);
      return pos;
    }
    const n = Number(length);
    if (n > maxBodyBytes || this.#headerBytes + n > maxFrameBytes) {
      const limit = n > maxBodyBytes ? "maxBodyBytes" : "maxFrameBytes";
      this.#fail(`${this.#command}: content-length ${n} exceeds ${limit}`, limit, n);
      return pos;
    }
    if (pos + n < buf.length) {
      if (buf[pos + n] !== NUL) return this.#lengthMismatch(buf, pos, n);
      this.#emit(copyOf(buf, pos, pos + n));
      return pos + n + 1;
    }
    this.#state = BODY_LENGTH;
    this.#body = new Uint8Array(n);
    this.#filled = 0;
    return this.#fillBody(buf, pos);
  }

  /**
   * content-length did not end at a NUL: drop the frame and resynchronise at the first NUL after
   * the body's start, which is right both when the length was too long and when it was too short.
   */
  #lengthMismatch(buf: Uint8Array, bodyStart: number, n: number): number {
    this.#fail(`${this.#command}: no NUL after content-length ${n} bytes of body`);
    const nul = buf.indexOf(NUL, bodyStart);
    if (nul < 0) return buf.length;
    this.#state = HEAD;
    return nul + 1;
  }

  #fillBody(buf: Uint8Array, pos: number): number {
    const body = this.#body, need = body.length - this.#filled;
    if (need > 0) {
      const take = Math.min(need, buf.length - pos);
      body.set(take === buf.length - pos && pos === 0 ? buf : buf.subarray(pos, pos + take), this.#filled);
      this.#filled += take;
      pos += take;
      if (this.#filled < body.length || pos >= buf.length) return pos;
    }
    if (buf[pos] === NUL) {
      this.#emit(body);
      return pos + 1;
    }
    // Resynchronise at the first NUL after the body's start; part of it may already be copied.
    const inBody = body.indexOf(NUL);
    this.#fail(`${this.#command}: no NUL after content-length ${body.length} bytes of body`);
    if (inBody >= 0) {
      this.#state = HEAD;
      this.#swap = concat(body.subarray(inBody + 1), buf.subarray(pos));
      return pos;
    }
    return pos;
  }

  #scanBody(buf: Uint8Array, pos: number): number {
    const { maxBodyBytes, maxFrameBytes } = this.#limits;
    const nul = buf.indexOf(NUL, pos);
    const end = nul < 0 ? buf.length : nul;
    const size = this.#pieceBytes + end - pos;
    if (size > maxBodyBytes || this.#headerBytes + size > maxFrameBytes) {
      const limit = size > maxBodyBytes ? "maxBodyBytes" : "maxFrameBytes";
      this.#fail(`${this.#command}: body longer than ${this.#limits[limit]} bytes (${limit})`, limit);
      return end;
    }
    if (end > pos) this.#pieces.push(buf.slice(pos, end));
    this.#pieceBytes = size;
    if (nul < 0) return end;
    const pieces = this.#pieces;
    let body = pieces.length === 1 ? pieces[0] : EMPTY;
    if (pieces.length > 1) {
      body = new Uint8Array(size);
      let at = 0;
      for (const piece of pieces) {
        body.set(piece, at);
        at += piece.length;
      }
    }
    this.#emit(body);
    return nul + 1;
  }
}
