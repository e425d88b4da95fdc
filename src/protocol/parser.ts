/**
 * {@link StompParser}: an incremental parser from byte chunks to frames and heart-beats.
 *
 * It works on whole chunks with `indexOf` and `subarray`. A header block that lies inside one
 * chunk is decoded with one TextDecoder call; one that spans chunks is read line by line, so a bad
 * line is reported as soon as it is complete. A body that lies inside one chunk is copied exactly
 * once; a body with a content-length that spans chunks is copied once into a buffer of that length
 * and never scanned.
 *
 * @module
 */

import { type Dialect, DIALECTS, parseHeader, parseHeaderLines, quote } from "./dialect.ts";
import { StompFrameError } from "../errors.ts";
import { StompFrame, StompHeartBeat } from "./frame.ts";
import { StompFrameTooLargeError } from "./frame_too_large.ts";
import { resolveParserLimits, type StompParserLimits, withinLineLimits } from "./parser_limits.ts";
import { copyOf } from "./pool.ts";
import { checkVersion, DEFAULT_VERSION, type StompVersion, UNESCAPED_COMMANDS } from "./spec.ts";

export {
  DEFAULT_PARSER_LIMITS,
  HEADER_ROOM_BYTES,
  resolveParserLimits,
  type StompParserLimits,
} from "./parser_limits.ts";

const LF = 0x0a, CR = 0x0d, NUL = 0;
const EMPTY = new Uint8Array(0);
const HEART_BEAT = StompHeartBeat.INSTANCE;
const decoder = new TextDecoder();
const CONTENT_LENGTH = /^[0-9]{1,15}$/;
/** What the one-decode fast path leaves to the line-by-line path: non-ASCII text and NULs. */
// deno-lint-ignore no-control-regex
const NOT_PLAIN = /[^\x01-\x7f]/;
const MIN_WINDOW = 256, MAX_WINDOW = 8192;

// Where the parser is between two add() calls.
const HEAD = 0, LINES = 1, BODY_LENGTH = 2, BODY_SCAN = 3, SKIP_BYTES = 4, SKIP_TO_NUL = 5;

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
 * resynchronises at the next NUL; the error's `queuedBefore` says where it stood among them. When a
 * chunk held several bad frames, the error's `cause` is an `AggregateError` listing each. Chunks
 * may be reused by the caller after `add` returns.
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
  /** The command of the frame being read; undefined before its line is complete. */
  #command: string | undefined;
  #escaped = false;
  #headers: [string, string][] = [];
  #headerLines = 0;
  #headerBytes = 0;
  /** Bytes of an incomplete line (a copy: the caller may reuse its chunk). */
  #carry: Uint8Array = EMPTY;
  #carried = 0;
  #body: Uint8Array = EMPTY;
  #filled = 0;
  #pieces: Uint8Array[] = [];
  #pieceBytes = 0;
  #skip = 0;
  #errors: StompFrameError[] | undefined;
  #swap: Uint8Array | undefined;
  /** How many bytes the fast path decodes: about twice the last header block. */
  #window = MIN_WINDOW;

  /** A parser for `version` (default 1.2) with the given limits (completed by {@link resolveParserLimits}). */
  constructor(version: StompVersion = DEFAULT_VERSION, limits?: Partial<StompParserLimits>) {
    this.#version = checkVersion(version);
    this.#dialect = DIALECTS[this.#version];
    this.#limits = resolveParserLimits(limits);
  }

  /** The version whose rules apply: escaping, CR stripping, heart-beats, commands. Settable. */
  get version(): StompVersion {
    return this.#version;
  }
  set version(version: StompVersion) {
    this.#version = checkVersion(version);
    this.#dialect = DIALECTS[this.#version];
  }

  /** The limits in force. */
  get limits(): StompParserLimits {
    return this.#limits;
  }

  /** True while part of a frame has been read but not the whole of it. */
  get pending(): boolean {
    return this.#state !== HEAD;
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
  }

  /**
   * Where the body being read wants its next bytes, for a reader that can read straight into a
   * buffer (`conn.read(view)`): the unfilled rest of a body whose content-length is known, or
   * `undefined` when the parser is not in such a body. Bytes written there must be reported with
   * {@link StompParser.bodyFilled} before the next {@link StompParser.add}; the view is the body
   * the frame will carry, so this is how its bytes cost no copy.
   *
   * @example
   * ```ts
   * import { StompParser } from "./parser.ts";
   * const parser = new StompParser("1.2");
   * parser.add(new TextEncoder().encode("MESSAGE\ncontent-length:3\n\n"));
   * const room = parser.bodyRoom()!; // 3 bytes
   * room.set([1, 2, 3]);
   * parser.bodyFilled(3);
   * parser.add(new Uint8Array([0]));
   * console.log(parser.get()?.body); // Uint8Array [1, 2, 3]
   * ```
   */
  bodyRoom(): Uint8Array | undefined {
    if (this.#state !== BODY_LENGTH || this.#filled === this.#body.length) return undefined;
    return this.#body.subarray(this.#filled);
  }

  /**
   * Records that the first `n` bytes of the view {@link StompParser.bodyRoom} returned were
   * filled. Throws a RangeError when there is no such body or `n` exceeds what it still wants.
   */
  bodyFilled(n: number): void {
    const need = this.#state === BODY_LENGTH ? this.#body.length - this.#filled : 0;
    if (!Number.isInteger(n) || n < 0 || n > need) {
      throw new RangeError(`bodyFilled(${n}): the body being read wants ${need} more bytes`);
    }
    this.#filled += n;
  }

  /**
   * Parses a chunk. Throws {@link StompFrameError} for the bad frames in it (after queueing
   * every good frame of the chunk); the parser stays usable.
   */
  add(chunk: Uint8Array): void {
    let buf = chunk, pos = 0;
    while (pos < buf.length) {
      switch (this.#state) {
        case HEAD:
          pos = this.#between(buf, pos);
          break;
        case LINES:
          pos = this.#lines(buf, pos);
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
        cause: new AggregateError(errors, `${errors.length} bad frames in one chunk`),
        limit: errors[0].limit,
      },
    );
  }

  /** Records an error and drops the frame: skip to the next NUL (after `skipBytes` bytes). */
  #fail(message: string, limit?: string, skipBytes = 0): void {
    const command = this.#command;
    const queuedBefore = this.#queue.length - this.#head;
    (this.#errors ??= []).push(
      new StompFrameError(command ? `${command}: ${message}` : message, { limit, queuedBefore }),
    );
    this.#drop(skipBytes);
  }

  /**
   * A body over a limit after complete headers: skip it without keeping it, and hand the headers
   * up with the error, so that the one message can be settled and the connection go on.
   */
  #tooLarge(message: string, limit: string, bodyBytes?: number): void {
    const frame = new StompFrame(this.#command!, this.#headers, EMPTY, this.#version);
    (this.#errors ??= []).push(
      new StompFrameTooLargeError(`${frame.command}: ${message}`, {
        limit,
        frame,
        bodyBytes,
        queuedBefore: this.#queue.length - this.#head,
      }),
    );
    this.#drop(bodyBytes ?? 0);
  }

  #drop(skipBytes: number): void {
    this.#toHead();
    this.#skip = skipBytes;
    this.#state = skipBytes > 0 ? SKIP_BYTES : SKIP_TO_NUL;
  }

  #toHead(): void {
    this.#state = HEAD;
    this.#command = undefined;
    this.#headers = [];
    this.#body = EMPTY;
    this.#pieces = [];
    this.#pieceBytes =
      this.#filled =
      this.#skip =
      this.#headerBytes =
      this.#headerLines =
      this.#carried =
        0;
  }

  #emit(body: Uint8Array): void {
    const { bodyCommands } = this.#dialect, command = this.#command!;
    if (body.length > 0 && bodyCommands !== undefined && !bodyCommands.has(command)) {
      this.#fail(`this command may not carry a body in STOMP ${this.#version}`);
      this.#state = HEAD;
      return;
    }
    this.#queue.push(new StompFrame(command, this.#headers, body, this.#version));
    this.#toHead();
  }

  /** Between frames: EOLs are heart-beats (1.1+) or padding (1.0); then a frame starts. */
  #between(buf: Uint8Array, pos: number): number {
    const dialect = this.#dialect, len = buf.length;
    while (pos < len) {
      const b = buf[pos];
      if (b === LF) pos += 1;
      else if (b === CR && dialect.stripCR) {
        if (pos + 1 === len) {
          // Maybe the CR of a CRLF heart-beat: the line reader decides once the next byte is in.
          this.#state = LINES;
          this.#keep(buf, pos, len);
          return len;
        }
        if (buf[pos + 1] !== LF) break;
        pos += 2;
      } else break;
      if (dialect.heartBeats) this.#queue.push(HEART_BEAT);
    }
    if (pos >= len) return len;
    const fast = this.#fast(buf, pos);
    if (fast >= 0) return fast;
    this.#state = LINES;
    return pos;
  }

  /**
   * The common case in one decode: a header block of single-byte characters, without NUL and
   * within limits, that ends inside a small window. Finding the blank line and walking the lines
   * with string searches beats typed-array searches and `split`. Returns -1 (changing nothing)
   * for anything else: the line reader then decides, so both paths report the same first error
   * whatever the chunk boundaries. The window is decoded per frame rather than once per chunk
   * although that would be cheaper: header values are V8 slices of the decoded text, and a kept
   * message-id must not pin a whole chunk's text in memory.
   */
  #fast(buf: Uint8Array, start: number): number {
    const dialect = this.#dialect, limits = this.#limits;
    const windowEnd = Math.min(buf.length, start + this.#window);
    const text = decoder.decode(buf.subarray(start, windowEnd));
    let end = text.indexOf("\n\n");
    // A CR before the blank line: it may be a CRLF blank line (1.2) or a header needing a look.
    const cr = text.indexOf("\r");
    const hasCR = cr >= 0 && (end < 0 || cr < end);
    if (hasCR && dialect.stripCR) {
      const crlf = text.indexOf("\n\r\n");
      if (crlf >= 0 && (end < 0 || crlf < end)) end = crlf;
    }
    if (end < 0) {
      if (windowEnd === buf.length || this.#window >= MAX_WINDOW) return -1;
      // The window cut this header block short: widen it rather than fall to the line reader.
      this.#window = Math.min(MAX_WINDOW, 4 * this.#window);
      return this.#fast(buf, start);
    }
    // Equal lengths mean one character per byte, so string indexes are byte offsets (and any
    // invalid byte decodes alone, as the line reader would decode it).
    if (text.length !== windowEnd - start && NOT_PLAIN.test(text.slice(0, end))) return -1;
    const firstLF = text.indexOf("\n");
    const nul = text.indexOf("\0");
    if (nul >= 0 && nul < end) return -1;
    const bodyStart = start + end + (text.charCodeAt(end + 1) === LF ? 2 : 3);
    const headerBytes = bodyStart - start;
    if (headerBytes > limits.maxFrameBytes) return -1;
    if (limits.maxHeaderLineBytes < end || limits.maxHeaderLines < end / 2) {
      // Rare: the limits are tight enough that this block could break one; let the reader judge.
      if (!withinLineLimits(text, end, limits)) return -1;
    }
    this.#window = Math.min(MAX_WINDOW, Math.max(MIN_WINDOW, 2 * headerBytes));

    const stripCR = dialect.stripCR && hasCR;
    let command = text.slice(0, firstLF);
    if (stripCR && command.charCodeAt(command.length - 1) === CR) command = command.slice(0, -1);
    if (!this.#setCommand(command)) return start;
    const escaped = this.#escaped;
    // Most header blocks hold no backslash and no CR: then nothing needs unescaping or a CR check.
    const backslash = escaped ? text.indexOf("\\", firstLF) : -1;
    const unescapes = backslash >= 0 && backslash < end ? dialect.unescapes : undefined;
    const forbidden = escaped ? dialect.forbiddenRaw : undefined;
    try {
      parseHeaderLines(text, firstLF + 1, end, stripCR, hasCR, unescapes, forbidden, this.#headers);
    } catch (e) {
      this.#fail((e as Error).message);
      return start;
    }
    this.#headerBytes = headerBytes;
    return this.#startBody(buf, bodyStart);
  }

  /** The line reader: one command or header line at a time, across chunks. */
  #lines(buf: Uint8Array, pos: number): number {
    const len = buf.length, { maxHeaderLineBytes, maxFrameBytes, maxHeaderLines } = this.#limits;
    let nul = -2; // the first NUL at or after pos, found once per chunk
    while (pos < len) {
      const lf = buf.indexOf(LF, pos);
      if (nul !== -1 && nul < pos) nul = buf.indexOf(NUL, pos);
      const end = nul >= 0 && (lf < 0 || nul < lf) ? nul : lf;
      const lineBytes = this.#carried + (end < 0 ? len : end) - pos;
      // The limits hold for an incomplete line too: that is what keeps memory bounded.
      if (lineBytes > maxHeaderLineBytes) {
        this.#fail(
          `header line longer than ${maxHeaderLineBytes} bytes (maxHeaderLineBytes)`,
          "maxHeaderLineBytes",
        );
        return end < 0 ? len : end;
      }
      if (this.#headerBytes + lineBytes > maxFrameBytes) {
        this.#fail(`frame longer than ${maxFrameBytes} bytes (maxFrameBytes)`, "maxFrameBytes");
        return end < 0 ? len : end;
      }
      if (end < 0) {
        this.#keep(buf, pos, len);
        return len;
      }
      if (end === nul) {
        this.#fail("frame ended (NUL) before the blank line that ends its headers");
        return nul;
      }
      let line: string;
      if (this.#carried === 0) line = decoder.decode(buf.subarray(pos, lf));
      else {
        this.#keep(buf, pos, lf);
        line = decoder.decode(this.#carry.subarray(0, this.#carried));
        this.#carried = 0;
      }
      this.#headerBytes += lineBytes + 1;
      pos = lf + 1;
      if (this.#dialect.stripCR && line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1);
      if (this.#command === undefined) {
        if (line === "") {
          // A CRLF heart-beat whose CR ended the previous chunk.
          if (this.#dialect.heartBeats) this.#queue.push(HEART_BEAT);
          this.#toHead();
          return pos;
        }
        if (!this.#setCommand(line)) return pos;
      } else if (line === "") {
        this.#window = Math.min(MAX_WINDOW, Math.max(MIN_WINDOW, 2 * this.#headerBytes));
        return this.#startBody(buf, pos);
      } else {
        if (++this.#headerLines > maxHeaderLines) {
          this.#fail(`more than ${maxHeaderLines} header lines (maxHeaderLines)`, "maxHeaderLines");
          return pos;
        }
        const escaped = this.#escaped, dialect = this.#dialect;
        try {
          this.#headers.push(parseHeader(
            line,
            escaped && line.indexOf("\\") >= 0 ? dialect.unescapes : undefined,
            escaped ? dialect.forbiddenRaw : undefined,
            line.indexOf("\r") >= 0,
          ));
        } catch (e) {
          this.#fail((e as Error).message);
          return pos;
        }
      }
    }
    return pos;
  }

  /** Appends `buf[from, to)` to the incomplete line; the limits bound how far it grows. */
  #keep(buf: Uint8Array, from: number, to: number): void {
    const need = this.#carried + to - from;
    if (need > this.#carry.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.#carry.length, 256));
      grown.set(this.#carry.subarray(0, this.#carried));
      this.#carry = grown;
    }
    this.#carry.set(buf.subarray(from, to), this.#carried);
    this.#carried = need;
  }

  #setCommand(command: string): boolean {
    if (!this.#dialect.commands.has(command)) {
      this.#fail(`unknown command ${quote(command)} for STOMP ${this.#version}`);
      return false;
    }
    this.#command = command;
    this.#escaped = this.#dialect.unescapes !== undefined && !UNESCAPED_COMMANDS.has(command);
    return true;
  }

  #startBody(buf: Uint8Array, pos: number): number {
    const { maxBodyBytes, maxFrameBytes } = this.#limits, headers = this.#headers;
    let length: string | undefined;
    for (let i = 0; i < headers.length; i++) {
      if (headers[i][0] === "content-length") {
        length = headers[i][1];
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
      this.#fail(`invalid content-length ${quote(length)}`);
      return pos;
    }
    const n = Number(length);
    if (n > maxBodyBytes) {
      this.#tooLarge(`content-length ${n} exceeds ${maxBodyBytes} bytes (maxBodyBytes)`, "maxBodyBytes", n);
      return pos;
    }
    if (this.#headerBytes + n > maxFrameBytes) {
      this.#tooLarge(
        `content-length ${n} makes the frame exceed ${maxFrameBytes} bytes (maxFrameBytes)`,
        "maxFrameBytes",
        n,
      );
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
    this.#fail(`no NUL after content-length ${n} bytes of body`);
    const nul = buf.indexOf(NUL, bodyStart);
    if (nul < 0) return buf.length;
    this.#state = HEAD;
    return nul + 1;
  }

  #fillBody(buf: Uint8Array, pos: number): number {
    const body = this.#body, need = body.length - this.#filled;
    if (need > 0) {
      const take = Math.min(need, buf.length - pos);
      body.set(take === buf.length && pos === 0 ? buf : buf.subarray(pos, pos + take), this.#filled);
      this.#filled += take;
      pos += take;
      if (this.#filled < body.length) return pos;
    }
    // The chunk ended with the body (content-length:0 right after the blank line, too): the NUL
    // comes with the next one.
    if (pos >= buf.length) return pos;
    if (buf[pos] === NUL) {
      this.#emit(body);
      return pos + 1;
    }
    // Resynchronise at the first NUL after the body's start; part of it may already be copied.
    const inBody = body.indexOf(NUL);
    this.#fail(`no NUL after content-length ${body.length} bytes of body`);
    if (inBody >= 0) {
      this.#state = HEAD;
      this.#swap = concat(body.subarray(inBody + 1), buf.subarray(pos));
    }
    return pos;
  }

  #scanBody(buf: Uint8Array, pos: number): number {
    const { maxBodyBytes, maxFrameBytes } = this.#limits;
    const nul = buf.indexOf(NUL, pos);
    const end = nul < 0 ? buf.length : nul;
    const size = this.#pieceBytes + end - pos;
    if (size > maxBodyBytes) {
      this.#tooLarge(`body longer than ${maxBodyBytes} bytes (maxBodyBytes)`, "maxBodyBytes");
      return end;
    }
    if (this.#headerBytes + size > maxFrameBytes) {
      this.#tooLarge(`frame longer than ${maxFrameBytes} bytes (maxFrameBytes)`, "maxFrameBytes");
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
