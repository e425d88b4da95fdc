import assert from "node:assert/strict";
import { StompFrameError } from "../src/errors.ts";
import { StompFrame, StompHeartBeat } from "../src/protocol/frame.ts";
import {
  DEFAULT_PARSER_LIMITS,
  HEADER_ROOM_BYTES,
  resolveParserLimits,
  StompParser,
  type StompParserLimits,
} from "../src/protocol/parser.ts";
import { StompFrameTooLargeError } from "../src/protocol/frame_too_large.ts";
import { type StompVersion, VERSIONS } from "../src/protocol/spec.ts";

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);
type Item = StompFrame | StompHeartBeat;

function drain(parser: StompParser): Item[] {
  const out: Item[] = [];
  while (parser.canRead()) out.push(parser.get()!);
  return out;
}

/** Every bad frame behind one error thrown by add(). */
function badFrames(e: unknown): StompFrameError[] {
  assert.ok(e instanceof StompFrameError, `expected StompFrameError, got ${e}`);
  return e.cause instanceof AggregateError ? e.cause.errors : [e];
}

/** Feeds the chunks one add() at a time, collecting items and errors in order. */
function feed(
  parser: StompParser,
  chunks: Iterable<Uint8Array>,
): { items: Item[]; errors: StompFrameError[] } {
  const items: Item[] = [], errors: StompFrameError[] = [];
  for (const chunk of chunks) {
    try {
      parser.add(chunk);
    } catch (e) {
      errors.push(...badFrames(e));
    }
    items.push(...drain(parser));
  }
  return { items, errors };
}

const describe = (item: Item) =>
  item instanceof StompFrame
    ? `${item.version} ${item.command} ${JSON.stringify(item.rawHeaders)} [${item.body.join(",")}]`
    : "heart-beat";

const frameError = (pattern?: RegExp, limit?: string) => (e: unknown) => {
  assert.ok(e instanceof StompFrameError, `expected StompFrameError, got ${e}`);
  if (pattern) assert.match(e.message, pattern);
  assert.equal(e.limit, limit);
  return true;
};

const oneFrame = (parser: StompParser, input: string | Uint8Array): StompFrame => {
  parser.add(typeof input === "string" ? bytes(input) : input);
  const frame = parser.get();
  assert.ok(frame instanceof StompFrame, `expected a frame, got ${frame}`);
  assert.equal(parser.canRead(), false);
  return frame;
};

const stompestFrame = (version: StompVersion) =>
  new StompFrame(
    "SEND",
    {
      foo: "bar",
      "hello ": "there-world with space ",
      "empty-value": "",
      "": "empty-header",
      destination: "/queue/blah",
    },
    "some stuff\nand more",
    version,
  );

Deno.test("parser: a frame with empty names and values and spaces parses back equal (every version)", () => {
  for (const version of VERSIONS) {
    const frame = stompestFrame(version);
    const parser = new StompParser(version);
    const back = oneFrame(parser, frame.toBytes());
    assert.ok(back.equals(frame));
    assert.deepEqual({ ...back.headers }, {
      foo: "bar",
      "hello ": "there-world with space ",
      "empty-value": "",
      "": "empty-header",
      destination: "/queue/blah",
    });
    assert.equal(back.text(), "some stuff\nand more");
    assert.equal(parser.get(), undefined);
  }
});

Deno.test("parser: the version defaults to 1.2 and limits to DEFAULT_PARSER_LIMITS, each overridable", () => {
  const parser = new StompParser();
  assert.equal(parser.version, "1.2");
  assert.deepEqual(parser.limits, DEFAULT_PARSER_LIMITS);
  const custom = new StompParser("1.0", { maxHeaderLines: 3 });
  assert.deepEqual(custom.limits, { ...DEFAULT_PARSER_LIMITS, maxHeaderLines: 3 });
  // A body at its limit must be receivable: the default frame limit leaves room for the headers.
  assert.equal(DEFAULT_PARSER_LIMITS.maxFrameBytes, DEFAULT_PARSER_LIMITS.maxBodyBytes + HEADER_ROOM_BYTES);
  assert.throws(() => new StompParser("2.0" as StompVersion), TypeError);
  assert.throws(() => (parser.version = "0.9" as StompVersion), TypeError);
  assert.equal(parser.version, "1.2");
});

Deno.test("parser: reset drops queued frames and a partial frame", () => {
  const wire = stompestFrame("1.2").toBytes();
  const parser = new StompParser();
  parser.add(wire);
  assert.equal(parser.canRead(), true);
  parser.reset();
  assert.equal(parser.canRead(), false);
  assert.equal(parser.get(), undefined);
  parser.add(wire.subarray(0, 20));
  assert.equal(parser.get(), undefined);
  assert.equal(parser.pending, true);
  parser.reset();
  assert.equal(parser.pending, false);
  // Without the reset the tail would have completed the old frame; now it starts a new one.
  parser.add(wire);
  assert.ok(stompestFrame("1.2").equals(parser.get()!));
});

Deno.test("parser: a frame without headers or body", () => {
  for (const version of VERSIONS) {
    const frame = oneFrame(new StompParser(version), "DISCONNECT\n\n\0");
    assert.equal(frame.command, "DISCONNECT");
    assert.deepEqual(frame.rawHeaders, []);
    assert.equal(frame.body.length, 0);
    assert.ok(frame.equals(new StompFrame("DISCONNECT", {}, "", version)));
  }
});

Deno.test("parser: optional EOLs around frames are padding in 1.0 and heart-beats in 1.1/1.2", () => {
  const twice = bytes("\nDISCONNECT\n\n\0\n".repeat(2));
  const p10 = new StompParser("1.0");
  p10.add(twice);
  assert.deepEqual(drain(p10).map(describe), ["1.0 DISCONNECT [] []", "1.0 DISCONNECT [] []"]);
  for (const version of ["1.1", "1.2"] as const) {
    const parser = new StompParser(version);
    parser.add(twice);
    const d = `${version} DISCONNECT [] []`;
    assert.deepEqual(drain(parser).map(describe), [
      "heart-beat",
      d,
      "heart-beat",
      "heart-beat",
      d,
      "heart-beat",
    ]);
  }
});

Deno.test("parser: heart-beats are the one StompHeartBeat value; none in 1.0", () => {
  for (const version of ["1.1", "1.2"] as const) {
    const parser = new StompParser(version);
    parser.add(bytes("\n\n\n"));
    const items = drain(parser);
    assert.equal(items.length, 3);
    for (const item of items) assert.equal(item, StompHeartBeat.INSTANCE);
    assert.equal(parser.pending, false);
  }
  const p10 = new StompParser("1.0");
  p10.add(bytes("\n\n\n"));
  assert.equal(p10.canRead(), false);
  assert.equal(p10.pending, false);
});

Deno.test("parser: CRLF heart-beats in 1.2, even with the CR and LF in different chunks", () => {
  const parser = new StompParser("1.2");
  const { items, errors } = feed(parser, [bytes("\r\n\r"), bytes("\n"), bytes("\r"), bytes("\n\n")]);
  assert.deepEqual(errors, []);
  assert.deepEqual(items.map(describe), ["heart-beat", "heart-beat", "heart-beat", "heart-beat"]);
  assert.equal(parser.pending, false);
});

Deno.test("parser: get() returns undefined until a frame is complete", () => {
  const parser = new StompParser();
  assert.equal(parser.get(), undefined);
  assert.equal(parser.pending, false);
  parser.add(bytes("CONNECT"));
  assert.equal(parser.get(), undefined);
  assert.equal(parser.canRead(), false);
  assert.equal(parser.pending, true);
  parser.add(bytes("\naccept-version:1.2\n"));
  parser.add(bytes("\n"));
  assert.equal(parser.get(), undefined);
  assert.equal(parser.pending, true);
  parser.add(new Uint8Array([0]));
  assert.equal(parser.pending, false);
  assert.deepEqual((parser.get() as StompFrame).rawHeaders, [["accept-version", "1.2"]]);
});

Deno.test("parser: an unknown command is an error as soon as its line is complete; the frame is dropped", () => {
  const parser = new StompParser("1.0");
  assert.throws(() => parser.add(bytes("HELLO\n")), frameError(/unknown command "HELLO"/));
  assert.equal(parser.canRead(), false);
  assert.equal(parser.pending, true, "the rest of the bad frame is still to be skipped");
  parser.add(bytes("foo:bar\n\nbody\0"));
  assert.equal(parser.canRead(), false);
  parser.add(bytes("DISCONNECT\n\n\0"));
  assert.ok(new StompFrame("DISCONNECT", {}, "", "1.0").equals(parser.get()!));
  assert.equal(parser.canRead(), false);
});

Deno.test("parser: the frames around a bad one in the same chunk are kept", () => {
  const parser = new StompParser("1.2");
  assert.throws(
    () => parser.add(bytes("RECEIPT\nreceipt-id:1\n\n\0HELLO\nfoo:bar\n\nbody\0RECEIPT\nreceipt-id:2\n\n\0")),
    frameError(/unknown command/),
  );
  assert.deepEqual(drain(parser).map(describe), [
    '1.2 RECEIPT [["receipt-id","1"]] []',
    '1.2 RECEIPT [["receipt-id","2"]] []',
  ]);
});

Deno.test("parser: several bad frames in one chunk: one error, every bad frame behind it", () => {
  const parser = new StompParser("1.2");
  const chunk = bytes("HELLO\n\n\0RECEIPT\nreceipt-id:1\n\n\0WORLD\n\n\0SEND\nno separator\n\n\0");
  let thrown: unknown;
  try {
    parser.add(chunk);
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof StompFrameError);
  assert.match(thrown.message, /unknown command "HELLO".*\(and 2 more bad frames in this chunk\)/);
  assert.deepEqual(badFrames(thrown).map((e) => e.message), [
    'unknown command "HELLO" for STOMP 1.2',
    'unknown command "WORLD" for STOMP 1.2',
    `SEND: header line without ':' "no separator"`,
  ]);
  assert.deepEqual(drain(parser).map(describe), ['1.2 RECEIPT [["receipt-id","1"]] []']);
});

Deno.test("parser: a header line without ':' is an error as soon as it is complete; then recovery", () => {
  for (const version of VERSIONS) {
    const parser = new StompParser(version);
    parser.add(bytes("SEND\n"));
    assert.throws(() => parser.add(bytes("no separator\n")), frameError(/header line without ':'/));
    parser.add(bytes("destination:/q\n\nbody\0"));
    assert.equal(parser.canRead(), false);
    parser.add(bytes("SEND\ndestination:/q\n\nok\0"));
    assert.equal((parser.get() as StompFrame).text(), "ok");
  }
});

Deno.test("parser: NACK and STOMP are errors in 1.0, frames in 1.1/1.2", () => {
  for (const command of ["NACK", "STOMP"]) {
    const p10 = new StompParser("1.0");
    assert.throws(() => p10.add(bytes(`${command}\nid:1\n\n\0`)), frameError(/unknown command/));
    for (const version of ["1.1", "1.2"] as const) {
      assert.equal(oneFrame(new StompParser(version), `${command}\nid:1\n\n\0`).command, command);
    }
  }
});

Deno.test("parser: a frame fed byte by byte, without trailing EOL (stompest test_no_newline)", () => {
  const wire = new StompFrame("MESSAGE", { x: "y" }, "testing 1 2 3").toBytes();
  assert.equal(wire[wire.length - 1], 0);
  const parser = new StompParser();
  const { items, errors } = feed(parser, [...wire].map((b) => new Uint8Array([b])));
  assert.deepEqual(errors, []);
  assert.equal(items.length, 1);
  const frame = items[0] as StompFrame;
  assert.equal(frame.command, "MESSAGE");
  assert.deepEqual({ ...frame.headers }, { x: "y" });
  assert.equal(frame.text(), "testing 1 2 3");
});

Deno.test("parser: a binary body with NUL by content-length, whole, byte by byte and split anywhere", () => {
  const body = new Uint8Array([0xf0, 0x00, 0x0a, 0x09, 0x00]);
  const wire = new StompFrame("MESSAGE", { "content-length": body.length }, body).toBytes();
  const expected = [`1.2 MESSAGE [["content-length","5"]] [240,0,10,9,0]`];
  assert.deepEqual(feed(new StompParser(), [wire]).items.map(describe), expected);
  assert.deepEqual(
    feed(new StompParser(), [...wire].map((b) => Uint8Array.of(b))).items.map(describe),
    expected,
  );
  for (let i = 1; i < wire.length; i++) {
    const { items, errors } = feed(new StompParser(), [wire.subarray(0, i), wire.subarray(i)]);
    assert.deepEqual(errors, [], `split at ${i}`);
    assert.deepEqual(items.map(describe), expected, `split at ${i}`);
  }
});

Deno.test("parser: several frames in one chunk (stompest test_receiveFrame_multiple_frames_per_read)", () => {
  const a = new StompFrame("MESSAGE", { x: "y" }, "boo"), b = new StompFrame("MESSAGE", { x: "y" }, "hoo");
  const parser = new StompParser();
  parser.add(new Uint8Array([...a.toBytes(), ...b.toBytes()]));
  assert.ok(a.equals(parser.get()!));
  assert.ok(b.equals(parser.get()!));
  assert.equal(parser.get(), undefined);
});

Deno.test("parser: repeated headers: first wins, the raw list keeps every one in order", () => {
  for (const version of VERSIONS) {
    const frame = oneFrame(new StompParser(version), "MESSAGE\nfoo:1\nbar:x\nfoo:2\nfoo:1\n\n\0");
    assert.equal(frame.headers.foo, "1");
    assert.deepEqual(frame.rawHeaders, [["foo", "1"], ["bar", "x"], ["foo", "2"], ["foo", "1"]]);
  }
  // The first content-length is the one that counts.
  const frame = oneFrame(new StompParser(), "MESSAGE\ncontent-length:3\ncontent-length:1\n\na\0c\0");
  assert.deepEqual([...frame.body], [0x61, 0, 0x63]);
});

Deno.test("parser: names and values are not trimmed; empty names and values are kept", () => {
  for (const version of VERSIONS) {
    const frame = oneFrame(new StompParser(version), "MESSAGE\n a : b \n:\n:empty-name\nempty-value:\n\n\0");
    assert.deepEqual(frame.rawHeaders, [[" a ", " b "], ["", ""], ["", "empty-name"], ["empty-value", ""]]);
  }
});

Deno.test("parser: a body on a command that may not carry one: error in 1.1/1.2, fine in 1.0", () => {
  for (const version of ["1.1", "1.2"] as const) {
    for (const wire of ["DISCONNECT\n\nbye\0", "SUBSCRIBE\nid:1\ncontent-length:1\n\nx\0"]) {
      const parser = new StompParser(version);
      assert.throws(() => parser.add(bytes(wire)), frameError(/may not carry a body/));
      assert.equal(parser.canRead(), false);
      assert.equal(oneFrame(parser, "DISCONNECT\n\n\0").body.length, 0, "parser recovers");
    }
  }
  assert.equal(oneFrame(new StompParser("1.0"), "DISCONNECT\n\nbye\0").text(), "bye");
});

Deno.test("parser: content-length too long or too short is an error; the parser resynchronises", () => {
  const next = "MESSAGE\nx:next\n\nnext body\0";
  const cases = [
    "MESSAGE\ncontent-length:3\n\nhello\0", // too short: the NUL is further on
    "MESSAGE\ncontent-length:10\n\nhi\0", // too long: the body overruns into the next frame
    "MESSAGE\ncontent-length:0\n\nx\0",
  ];
  for (const bad of cases) {
    const wire = bytes(bad + "\n" + next);
    const splits = [[wire], [...wire].map((b) => Uint8Array.of(b))];
    for (let i = 1; i < wire.length; i++) splits.push([wire.subarray(0, i), wire.subarray(i)]);
    for (const chunks of splits) {
      const { items, errors } = feed(new StompParser("1.2"), chunks);
      const what = `${JSON.stringify(bad)} in ${chunks.length} chunks`;
      assert.deepEqual(errors.map((e) => e.message), [
        `MESSAGE: no NUL after content-length ${/:(\d+)/.exec(bad)![1]} bytes of body`,
      ], what);
      assert.deepEqual(items.map(describe), [
        "heart-beat",
        '1.2 MESSAGE [["x","next"]] [110,101,120,116,32,98,111,100,121]',
      ], what);
    }
  }
});

Deno.test("parser: a content-length that is not a decimal number is an error", () => {
  for (const value of ["abc", "-1", "1.5", " 5", "5 ", "", "0x10", "9999999999999999"]) {
    const parser = new StompParser();
    assert.throws(
      () => parser.add(bytes(`MESSAGE\ncontent-length:${value}\n\nx\0`)),
      frameError(/invalid content-length/),
      value,
    );
    assert.equal(oneFrame(parser, "RECEIPT\nreceipt-id:1\n\n\0").command, "RECEIPT");
  }
});

Deno.test("parser: CRLF is stripped from command and header lines only in 1.2; an escaped \\r survives", () => {
  const crlf = "MESSAGE\r\nfoo:bar\r\nesc:a\\rb\r\n\r\nbody\r\n\0";
  const frame = oneFrame(new StompParser("1.2"), crlf);
  assert.equal(frame.command, "MESSAGE");
  assert.deepEqual(frame.rawHeaders, [["foo", "bar"], ["esc", "a\rb"]]);
  assert.equal(frame.text(), "body\r\n", "the body is never touched");
  assert.throws(() => new StompParser("1.1").add(bytes(crlf)), frameError(/unknown command "MESSAGE\\r"/));
  // With LF line ends, a CR before the LF is part of the value in 1.0 and 1.1.
  for (const version of ["1.0", "1.1"] as const) {
    const f = oneFrame(new StompParser(version), "MESSAGE\nfoo:bar\r\n\n\0");
    assert.deepEqual(f.rawHeaders, [["foo", "bar\r"]]);
  }
  assert.deepEqual(oneFrame(new StompParser("1.2"), "MESSAGE\nfoo:bar\r\n\n\0").rawHeaders, [["foo", "bar"]]);
  // \r is no escape in 1.1.
  assert.throws(() => new StompParser("1.1").add(bytes("MESSAGE\nesc:a\\rb\n\n\0")), frameError(/\\r/));
});

Deno.test("parser: unescaping per version, one pass; CONNECT and CONNECTED never unescaped", () => {
  const raw = "a\\\\n\\c\\\\\\n";
  const header = `MESSAGE\nn\\ca\\\\me:${raw}\n\n\0`;
  assert.deepEqual(oneFrame(new StompParser("1.0"), header).rawHeaders, [["n\\ca\\\\me", raw]]);
  for (const version of ["1.1", "1.2"] as const) {
    assert.deepEqual(oneFrame(new StompParser(version), header).rawHeaders, [["n:a\\me", "a\\n:\\\n"]]);
    for (const command of ["CONNECT", "CONNECTED"]) {
      const f = oneFrame(new StompParser(version), `${command}\npasscode:a\\cb:c\\t\\\n\n\0`);
      assert.deepEqual(f.rawHeaders, [["passcode", "a\\cb:c\\t\\"]]);
    }
  }
});

Deno.test("parser: an undefined escape or a trailing backslash is an error (1.1/1.2)", () => {
  for (const version of ["1.1", "1.2"] as const) {
    for (
      const [line, message] of [
        ["a:b\\t", /undefined escape sequence \\t/],
        ["a\\x:b", /undefined escape sequence \\x/],
        ["a:b\\", /lone backslash/],
        ["a\\:b", /lone backslash/],
      ] as const
    ) {
      const parser = new StompParser(version);
      assert.throws(() => parser.add(bytes(`MESSAGE\n${line}\n\n\0`)), frameError(message), line);
      assert.equal(oneFrame(parser, "RECEIPT\nreceipt-id:1\n\n\0").command, "RECEIPT");
    }
  }
});

Deno.test("parser: a raw ':' or CR inside a 1.2 header is an error; 1.0 and 1.1 keep it", () => {
  for (const line of ["a:b:c", "a:b\rc", "a\rb:c"]) {
    assert.throws(() => new StompParser("1.2").add(bytes(`MESSAGE\n${line}\n\n\0`)), frameError(/unescaped/));
  }
  for (const version of ["1.0", "1.1"] as const) {
    assert.deepEqual(oneFrame(new StompParser(version), "MESSAGE\na:b:c\n\n\0").rawHeaders, [["a", "b:c"]]);
  }
  // ActiveMQ-style ids are fine everywhere once escaped.
  assert.deepEqual(
    oneFrame(new StompParser("1.2"), "MESSAGE\nmessage-id:ID\\chost-1\\c2\n\n\0").rawHeaders,
    [["message-id", "ID:host-1:2"]],
  );
});

Deno.test("parser: UTF-8 headers, including multi-byte characters split across chunks", () => {
  const wire = bytes("MESSAGE\ngrüße:schön ☃ \\c 𝄞\nascii:x\n\nbody\0");
  for (const version of ["1.1", "1.2"] as const) {
    const expected = [`${version} MESSAGE [["grüße","schön ☃ : 𝄞"],["ascii","x"]] [98,111,100,121]`];
    assert.deepEqual(feed(new StompParser(version), [wire]).items.map(describe), expected);
    for (let i = 1; i < wire.length; i++) {
      const { items, errors } = feed(new StompParser(version), [wire.subarray(0, i), wire.subarray(i)]);
      assert.deepEqual(errors, []);
      assert.deepEqual(items.map(describe), expected, `split at ${i}`);
    }
  }
});

Deno.test("parser: a long, non-ASCII header block (beyond the fast path) parses the same", () => {
  const pairs: [string, string][] = [];
  for (let i = 0; i < 400; i++) pairs.push([`h${i}`, `wert-${i}-ü:\\\n${"x".repeat(i)}`]);
  const frame = new StompFrame("MESSAGE", pairs, "body");
  const back = oneFrame(new StompParser(), frame.toBytes());
  assert.deepEqual(back.rawHeaders, pairs);
  assert.ok(back.equals(frame));
});

Deno.test("parser: header blocks of very different sizes in one chunk all parse", () => {
  // Small frames shrink the decode window; a big header block after them must still be found.
  const small = new StompFrame("RECEIPT", { "receipt-id": "1" });
  const big = new StompFrame("MESSAGE", { destination: "/q", big: "v".repeat(5000), id: "x:y" }, "body");
  const huge = new StompFrame("MESSAGE", { huge: "w".repeat(20_000) }, "body");
  const sequence = [small, small, big, small, huge, small, big];
  const wire = new Uint8Array(sequence.flatMap((f) => [...f.toBytes()]));
  const { items, errors } = feed(new StompParser(), [wire]);
  assert.deepEqual(errors, []);
  assert.equal(items.length, sequence.length);
  items.forEach((item, i) => assert.ok(sequence[i].equals(item as StompFrame)));
});

Deno.test("parser: a NUL before the end of the headers drops the frame", () => {
  for (const wire of ["SEND\ndestination:/q\0", "SEND\0", "SEND\ndest\0ination:/q\n\n\0"]) {
    const parser = new StompParser();
    assert.throws(() => parser.add(bytes(wire)), frameError(/before the blank line/), wire);
    assert.equal(parser.pending, false, wire);
    assert.equal(oneFrame(parser, "RECEIPT\nreceipt-id:1\n\n\0").command, "RECEIPT");
  }
});

Deno.test("parser: the version can be switched between frames", () => {
  const parser = new StompParser("1.0");
  assert.deepEqual(oneFrame(parser, "CONNECTED\nversion:1.2\n\n\0").rawHeaders, [["version", "1.2"]]);
  parser.add(bytes("\n"));
  assert.equal(parser.canRead(), false);
  parser.version = "1.2";
  parser.add(bytes("\r\n"));
  assert.equal(parser.get(), StompHeartBeat.INSTANCE);
  const frame = oneFrame(parser, "MESSAGE\r\nid:a\\cb\r\n\r\n\0");
  assert.deepEqual(frame.rawHeaders, [["id", "a:b"]]);
  assert.equal(frame.version, "1.2");
});

Deno.test("parser: an empty chunk changes nothing", () => {
  const parser = new StompParser();
  parser.add(new Uint8Array(0));
  assert.equal(parser.canRead(), false);
  parser.add(bytes("SEND\n"));
  parser.add(new Uint8Array(0));
  parser.add(bytes("\n\0"));
  assert.equal((parser.get() as StompFrame).command, "SEND");
});

// --- limits ---------------------------------------------------------------------------------------

const small: Partial<StompParserLimits> = {
  maxFrameBytes: 4096,
  maxBodyBytes: 2048,
  maxHeaderLines: 10,
  maxHeaderLineBytes: 100,
};

Deno.test("parser: limits: exactly at each limit parses; one over is an error naming it", () => {
  const header = (n: number) => `x:${"v".repeat(n - 2)}`; // a line of n bytes
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `h${i}:v`).join("\n");
  const cases: [string, string, string, Partial<StompParserLimits>][] = [
    [`MESSAGE\n${header(100)}\n\n\0`, `MESSAGE\n${header(101)}\n\n\0`, "maxHeaderLineBytes", small],
    [`RECEIPT\n${lines(10)}\n\n\0`, `RECEIPT\n${lines(11)}\n\n\0`, "maxHeaderLines", small],
    [`MESSAGE\n\n${"b".repeat(2048)}\0`, `MESSAGE\n\n${"b".repeat(2049)}\0`, "maxBodyBytes", small],
    [
      `MESSAGE\ncontent-length:2048\n\n${"b".repeat(2048)}\0`,
      `MESSAGE\ncontent-length:2049\n\n${"b".repeat(2049)}\0`,
      "maxBodyBytes",
      small,
    ],
  ];
  // maxFrameBytes counts the header block (every EOL included) plus the body, not the NUL.
  const frameLimit = { ...small, maxBodyBytes: 4096 };
  const head = (extra = "") =>
    `MESSAGE\n${extra}${Array.from({ length: 9 }, (_, i) => `h${i}:${"v".repeat(90)}`).join("\n")}\n\n`;
  const body = 4096 - head().length;
  cases.push([
    `${head()}${"b".repeat(body)}\0`,
    `${head()}${"b".repeat(body + 1)}\0`,
    "maxFrameBytes",
    frameLimit,
  ]);
  const withLength = (n: number) => `${head(`content-length:${n}\n`)}${"b".repeat(n)}\0`;
  const fits = 4096 - head("content-length:0000\n").length;
  cases.push([withLength(fits), withLength(fits + 1), "maxFrameBytes", frameLimit]);
  for (const [ok, over, limit, limits] of cases) {
    for (const version of VERSIONS) {
      const parser = new StompParser(version, limits);
      assert.equal(oneFrame(parser, ok).command, ok.slice(0, 7), `${limit} ok (${version})`);
      assert.throws(
        () => parser.add(bytes(over)),
        frameError(new RegExp(limit), limit),
        `${limit} ${version}`,
      );
      assert.equal(parser.canRead(), false);
      assert.equal(oneFrame(parser, "RECEIPT\nreceipt-id:1\n\n\0").command, "RECEIPT", "recovers");
    }
  }
});

Deno.test("parser: limits: a content-length over the limit fails before any body byte arrives", () => {
  const parser = new StompParser("1.2", small);
  assert.throws(
    () => parser.add(bytes("MESSAGE\ncontent-length:100000\n\n")),
    frameError(/content-length 100000 exceeds 2048 bytes \(maxBodyBytes\)/, "maxBodyBytes"),
  );
  assert.equal(parser.pending, true);
  // The announced body is skipped, NULs in it included, then the parser resynchronises.
  const body = new Uint8Array(100_000);
  for (let i = 0; i < body.length; i += 1000) parser.add(body.subarray(i, i + 1000));
  assert.equal(parser.canRead(), false);
  assert.equal(oneFrame(parser, "\0RECEIPT\nreceipt-id:1\n\n\0").command, "RECEIPT");
  // A body far larger than anything buffered is skipped chunk by chunk without error.
  assert.throws(
    () => parser.add(bytes("MESSAGE\ncontent-length:999999999999\n\n")),
    frameError(/exceeds/, "maxBodyBytes"),
  );
  const chunk = new Uint8Array(65536);
  for (let i = 0; i < 1024; i++) parser.add(chunk);
  assert.equal(parser.pending, true);
  assert.equal(parser.canRead(), false);
});

/** Feeds `head` then endless `fill` chunks (never a NUL or the ending EOL) until add() throws. */
function feedUntilError(parser: StompParser, head: string, fill: number, chunkSize: number) {
  const chunk = new Uint8Array(chunkSize).fill(fill);
  let fed = 0;
  try {
    parser.add(bytes(head));
    for (fed = 0; fed < 1 << 26; fed += chunkSize) parser.add(chunk);
  } catch (e) {
    return { error: e, fed };
  }
  assert.fail("no error for an endless frame");
}

Deno.test("parser: limits: raised as soon as exceeded by a never-ending frame (memory stays bounded)", () => {
  const chunkSize = 1000;
  const cases: [string, number, string, number][] = [
    ["MESSAGE\n\n", 0x62, "maxBodyBytes", 2048],
    ["MESSAGE\nx:", 0x76, "maxHeaderLineBytes", 100],
    ["MESSAGE", 0x41, "maxHeaderLineBytes", 100],
    ["MESSAGE\n", -1, "maxHeaderLines", 0],
  ];
  for (const version of VERSIONS) {
    for (const [head, fill, limit, max] of cases) {
      const parser = new StompParser(version, small);
      if (fill === -1) {
        // Header lines forever, never the blank line.
        parser.add(bytes("MESSAGE\n"));
        let lines = 0;
        assert.throws(() => {
          for (lines = 1; lines < 1_000_000; lines++) parser.add(bytes("h:v\n"));
        }, frameError(/more than 10 header lines/, limit));
        assert.equal(lines, 11, "the 11th header line is the error");
        continue;
      }
      const { error, fed } = feedUntilError(parser, head, fill, chunkSize);
      assert.ok(frameError(new RegExp(limit), limit)(error));
      assert.ok(fed <= max, `${limit}: error after ${fed} bytes, limit ${max} (${version})`);
      // Once the frame is dropped, more of it is discarded without error or buffering, then recovery.
      for (let i = 0; i < 100; i++) parser.add(new Uint8Array(chunkSize).fill(fill));
      parser.add(new Uint8Array([0]));
      assert.equal(parser.pending, false);
      assert.equal(oneFrame(parser, "RECEIPT\nreceipt-id:1\n\n\0").command, "RECEIPT");
    }
  }
  // maxFrameBytes with a body that is within maxBodyBytes but pushes the frame over.
  // (A header block of 1.4 KB: the body's 4 KB are within maxBodyBytes when the frame passes 4 KB.)
  const parser = new StompParser("1.2", { ...small, maxBodyBytes: 4096, maxHeaderLines: 100 });
  const head = `MESSAGE\n${`h:${"v".repeat(90)}\n`.repeat(15)}\n`;
  const { error, fed } = feedUntilError(parser, head, 0x62, chunkSize);
  assert.ok(frameError(/maxFrameBytes/, "maxFrameBytes")(error));
  assert.ok(fed <= 4096, `maxFrameBytes: error after ${fed} bytes`);
  // And the same with a header block that never ends.
  const p2 = new StompParser("1.2", { ...small, maxHeaderLines: 1000 });
  p2.add(bytes("MESSAGE\n"));
  let sent = 0;
  assert.throws(() => {
    for (; sent < 1 << 20; sent += 50) p2.add(bytes(`h:${"v".repeat(47)}\n`));
  }, frameError(/maxFrameBytes/, "maxFrameBytes"));
  assert.ok(sent <= 4096, `header block: error after ${sent} bytes`);
});

// --- chunk reuse ----------------------------------------------------------------------------------

Deno.test("parser: a caller reusing its chunk buffer after add() corrupts no parsed frame", () => {
  const frames = [
    new StompFrame("MESSAGE", { "content-length": 300, id: "a:b" }, new Uint8Array(300).fill(7)),
    new StompFrame("MESSAGE", { x: "y" }, "a text body without content-length, long enough to span chunks"),
    new StompFrame("MESSAGE", { "grüße": "ü" }, "x"),
    new StompFrame("MESSAGE", { "content-length": 5000 }, new Uint8Array(5000).fill(9)),
  ];
  const wire = new Uint8Array(frames.flatMap((f) => [...f.toBytes(), 0x0d, 0x0a]));
  for (const size of [1, 2, 3, 7, 64, 100, 1000, 4096, wire.length]) {
    const parser = new StompParser();
    const buffer = new Uint8Array(size);
    const got: Item[] = [];
    for (let at = 0; at < wire.length; at += size) {
      const n = Math.min(size, wire.length - at);
      buffer.set(wire.subarray(at, at + n));
      parser.add(buffer.subarray(0, n));
      buffer.fill(0xee); // the caller reuses its buffer
      got.push(...drain(parser));
    }
    const parsed = got.filter((i): i is StompFrame => i instanceof StompFrame);
    assert.equal(parsed.length, frames.length, `chunk size ${size}`);
    // Scribble again after everything was parsed: bodies and headers must be unaffected.
    buffer.fill(0xdd);
    parsed.forEach((f, i) => assert.ok(f.equals(frames[i]), `chunk size ${size}: ${f.info()}`));
  }
});

// --- split invariance of bad input ---------------------------------------------------------------
// Valid frames are generated in parser_split_test.ts; these streams hold the errors (and the frames
// around them) whose recovery must not depend on where the chunks end.

const binary = new Uint8Array(64).map((_, i) => (i * 37) % 256); // holds NUL, LF and CR bytes

function cat(...parts: (string | Uint8Array)[]): Uint8Array {
  const arrays = parts.map((p) => typeof p === "string" ? bytes(p) : p);
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

const streams: [StompVersion, Partial<StompParserLimits>, Uint8Array][] = [
  [
    "1.0",
    {},
    cat(
      "CONNECTED\nsession:1\nserver:x/1\n\n\0\n\n",
      `MESSAGE\ncontent-length:${binary.length}\nmessage-id:ID:host-1:1:1\n\n`,
      binary,
      "\0\nMESSAGE\ndestination:/q\n\nplain text\0",
      "ERROR\nmessage:a\\b\n\nno unescaping\0",
      "NACK\nid:1\n\n\0", // no NACK in 1.0
      "DISCONNECT\n\nbody allowed\0",
      "MESSAGE\ncontent-length:3\n\nabcdef\0", // too short
      "RECEIPT\nreceipt-id:77\n\n\0",
    ),
  ],
  [
    "1.1",
    {},
    cat(
      "\n\n",
      "MESSAGE\nmessage-id:ID\\chost\\c1\nsubscription:0\ngrüße:☃\\n\\\\\n\nbody\0\n",
      `MESSAGE\ncontent-length:${binary.length}\n\n`,
      binary,
      "\0",
      "MESSAGE\nbad:\\t\n\n\0", // undefined escape
      "\n",
      "DISCONNECT\n\nbody not allowed\0",
      "MESSAGE\nx:a\rb:c\n\nraw CR and ':' are kept in 1.1\0",
      "MESSAGE\ninvalid:",
      new Uint8Array([0xff, 0x41, 0xe2, 0x82]), // invalid UTF-8: each path must decode it alike
      "\n\n\0",
      "MESSAGE\nlone:",
      new Uint8Array([0xc3]),
      "\n\n\0",
      "HELLO\nfoo:bar\n\nbody\0", // unknown command
      "SEND\nno-colon\n\n\0", // bad header line
      "RECEIPT\nreceipt-id:1\n\n\0\n\n",
    ),
  ],
  [
    "1.2",
    {},
    cat(
      "\r\n\n",
      "CONNECTED\r\nversion:1.2\r\nheart-beat:0,1000\r\n\r\n\0\r\n",
      "MESSAGE\r\nmessage-id:ID\\chost\\c1\r\nack:\\r\\n\r\n\r\nbody with CRLF\r\n\0",
      `MESSAGE\ncontent-length:${binary.length}\nx:y\r\n\n`,
      binary,
      "\0\r\n\r\n",
      "MESSAGE\nraw:a:b\n\n\0", // raw ':' is an error in 1.2
      "MESSAGE\ncontent-length:20\n\nhi\0", // too long: overruns into the next frame
      "MESSAGE\nx:next\n\nnext body\0",
      "MESSAGE\ngrüße:schön\nweird:a\\cb\\\\c\n\n\0",
      "ERROR\nmessage:x\n\nbody\0",
    ),
  ],
  [
    "1.2",
    { maxHeaderLines: 3, maxHeaderLineBytes: 40, maxBodyBytes: 50, maxFrameBytes: 120 },
    cat(
      "MESSAGE\na:1\nb:2\nc:3\n\n\0", // at the line limit
      "MESSAGE\na:1\nb:2\nc:3\nd:4\n\n\0", // over it
      `MESSAGE\nlong:${"v".repeat(40)}\n\n\0`,
      `MESSAGE\n\n${"b".repeat(50)}\0`,
      `MESSAGE\n\n${"b".repeat(51)}\0`,
      `MESSAGE\ncontent-length:51\n\n${"b".repeat(51)}\0`,
      `MESSAGE\nh:${"v".repeat(37)}\nh:${"v".repeat(37)}\n\n${"b".repeat(40)}\0`, // frame limit
      "RECEIPT\nreceipt-id:1\n\n\0",
    ),
  ],
];

function run(version: StompVersion, limits: Partial<StompParserLimits>, chunks: Iterable<Uint8Array>) {
  const { items, errors } = feed(new StompParser(version, limits), chunks);
  return { items: items.map(describe), errors: errors.map((e) => e.message) };
}

Deno.test("parser: bad input split at every byte boundary (and byte by byte) parses exactly as whole", () => {
  for (const [version, limits, wire] of streams) {
    const whole = run(version, limits, [wire]);
    assert.ok(whole.items.length >= 3, JSON.stringify(whole));
    assert.ok(whole.errors.length >= 1);
    assert.deepEqual(run(version, limits, [...wire].map((b) => Uint8Array.of(b))), whole, "byte by byte");
    for (let i = 0; i <= wire.length; i++) {
      assert.deepEqual(run(version, limits, [wire.subarray(0, i), wire.subarray(i)]), whole, `split at ${i}`);
    }
    // A few three-way splits too, from a fixed pseudo-random sequence.
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % (wire.length + 1);
    for (let k = 0; k < 300; k++) {
      const [a, b] = [next(), next()].sort((x, y) => x - y);
      assert.deepEqual(
        run(version, limits, [wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)]),
        whole,
        `split at ${a}, ${b}`,
      );
    }
  }
});

Deno.test("parser: the split-invariance streams hold what they claim", () => {
  const [v10, v11, v12, limited] = streams.map(([v, l, w]) => run(v, l, [w]));
  assert.deepEqual(v10.errors, [
    'unknown command "NACK" for STOMP 1.0',
    "MESSAGE: no NUL after content-length 3 bytes of body",
  ]);
  assert.equal(v10.items.length, 6);
  assert.ok(!v10.items.includes("heart-beat"));
  assert.deepEqual(v11.errors, [
    "MESSAGE: undefined escape sequence \\t in a header",
    "DISCONNECT: this command may not carry a body in STOMP 1.1",
    'unknown command "HELLO" for STOMP 1.1',
    `SEND: header line without ':' "no-colon"`,
  ]);
  assert.ok(
    v11.items.includes(
      '1.1 MESSAGE [["x","a\\rb:c"]] [' + [...bytes("raw CR and ':' are kept in 1.1")].join(",") + "]",
    ),
  );
  assert.equal(v11.items.filter((i) => i === "heart-beat").length, 6);
  assert.ok(v11.items.includes('1.1 MESSAGE [["invalid","\uFFFDA\uFFFD"]] []'), v11.items.join("\n"));
  assert.ok(v11.items.includes('1.1 MESSAGE [["lone","\uFFFD"]] []'));
  assert.deepEqual(v12.errors, [
    `MESSAGE: unescaped ':' or CR in header "raw:a:b"`,
    "MESSAGE: no NUL after content-length 20 bytes of body",
  ]);
  assert.ok(
    v12.items.includes(
      '1.2 MESSAGE [["message-id","ID:host:1"],["ack","\\r\\n"]] [' +
        [...bytes("body with CRLF\r\n")].join(",") + "]",
    ),
  );
  assert.ok(v12.items.includes('1.2 MESSAGE [["grüße","schön"],["weird","a:b\\\\c"]] []'));
  assert.deepEqual(limited.errors.map((e) => /\((max\w+)\)/.exec(e)?.[1]), [
    "maxHeaderLines",
    "maxHeaderLineBytes",
    "maxBodyBytes",
    "maxBodyBytes",
    "maxFrameBytes",
  ]);
  assert.equal(limited.items.length, 3);
});

// --- limits: consistent, settable, and a body over them a per-frame failure (issue 11 #4) -----------

Deno.test("parser limits: resolved consistently, raised or lowered; bad ones are TypeErrors naming them", () => {
  assert.deepEqual(resolveParserLimits(), DEFAULT_PARSER_LIMITS);
  // Raised: a 128 MiB body limit carries a frame limit with room for its headers.
  const raised = resolveParserLimits({ maxBodyBytes: 128 << 20 });
  assert.equal(raised.maxFrameBytes, (128 << 20) + HEADER_ROOM_BYTES);
  // Lowered: the frame limit alone binds the body too.
  const lowered = resolveParserLimits({ maxFrameBytes: 8192, maxHeaderLines: 10, maxHeaderLineBytes: 512 });
  assert.deepEqual(lowered, {
    maxFrameBytes: 8192,
    maxBodyBytes: 8192,
    maxHeaderLines: 10,
    maxHeaderLineBytes: 512,
  });
  assert.deepEqual(resolveParserLimits(lowered), lowered, "resolving twice changes nothing");
  assert.throws(
    () => resolveParserLimits({ maxFrameBytes: 100, maxBodyBytes: 200 }),
    /maxFrameBytes \(100\) is below maxBodyBytes \(200\)/,
  );
  assert.throws(() => resolveParserLimits({ maxBodyBytes: -1 }), /maxBodyBytes must be a whole number/);
  assert.throws(() => resolveParserLimits({ maxBodyBytes: 1.5 }), TypeError);
  assert.throws(
    () => resolveParserLimits({ maxBody: 1 } as Partial<StompParserLimits>),
    /unknown parser limit "maxBody"/,
  );
  assert.throws(() => new StompParser("1.2", { maxHeaderLines: NaN }), TypeError);
});

Deno.test("parser limits: a body exactly at the default body limit is receivable (64 MiB + headers)", () => {
  const parser = new StompParser("1.2");
  const n = DEFAULT_PARSER_LIMITS.maxBodyBytes;
  parser.add(bytes(`MESSAGE\ndestination:/queue/big\nmessage-id:1\nsubscription:0\ncontent-length:${n}\n\n`));
  const body = new Uint8Array(1 << 20).fill(0x61);
  for (let sent = 0; sent < n; sent += body.length) parser.add(body);
  parser.add(Uint8Array.of(0));
  const frame = parser.get();
  assert.ok(frame instanceof StompFrame);
  assert.equal(frame.body.length, n);
});

Deno.test("parser limits: a body over a limit is skipped unkept; the error carries the headers, then recovery", () => {
  const headers = "MESSAGE\ndestination:/queue/a\nmessage-id:m-7\nsubscription:s-1\nack:a-7\n";
  const big = "x".repeat(5000);
  const cases: [string, string, number | undefined][] = [
    [`${headers}content-length:${big.length}\n\n${big}\0`, "maxBodyBytes", big.length],
    [`${headers}\n${big}\0`, "maxBodyBytes", undefined],
  ];
  for (const [wire, limit, bodyBytes] of cases) {
    const whole = bytes(wire + "RECEIPT\nreceipt-id:after\n\n\0");
    for (const chunking of [[whole], [...whole].map((b) => Uint8Array.of(b))]) {
      const { items, errors } = feed(new StompParser("1.2", { maxBodyBytes: 4096 }), chunking);
      assert.equal(errors.length, 1);
      const error = errors[0];
      assert.ok(error instanceof StompFrameTooLargeError, String(error));
      assert.equal(error.limit, limit);
      assert.equal(error.bodyBytes, bodyBytes);
      assert.match(error.message, /^MESSAGE: .*4096 bytes \(maxBodyBytes\)/);
      assert.equal(error.frame.command, "MESSAGE");
      assert.equal(error.frame.headers["message-id"], "m-7");
      assert.equal(error.frame.headers.ack, "a-7");
      assert.equal(error.frame.body.length, 0);
      assert.deepEqual(items.map(describe), ['1.2 RECEIPT [["receipt-id","after"]] []']);
    }
  }
  // A header block over its limits has no complete headers to hand up: a plain StompFrameError.
  const parser = new StompParser("1.2", { maxHeaderLines: 2 });
  const error = (() => {
    try {
      parser.add(bytes("MESSAGE\na:1\nb:2\nc:3\n\n\0"));
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof StompFrameError && !(error instanceof StompFrameTooLargeError), String(error));
  assert.equal(error.limit, "maxHeaderLines");
});

Deno.test("parser: an error's queuedBefore says where the bad frame stood among the frames of its chunk", () => {
  const parser = new StompParser("1.2", { maxBodyBytes: 8 });
  const wire = "RECEIPT\nreceipt-id:1\n\n\0\nMESSAGE\ncontent-length:20\n\n" + "x".repeat(20) +
    "\0HELLO\n\n\0RECEIPT\nreceipt-id:2\n\n\0";
  const error = (() => {
    try {
      parser.add(bytes(wire));
    } catch (e) {
      return e;
    }
  })();
  const errors = badFrames(error);
  // Before the oversized MESSAGE: a RECEIPT and a heart-beat; before HELLO, nothing more.
  assert.deepEqual(errors.map((e) => [e.limit, e.queuedBefore]), [["maxBodyBytes", 2], [undefined, 2]]);
  assert.equal(drain(parser).length, 3);
});
