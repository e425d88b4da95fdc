import assert from "node:assert/strict";
import { StompFrameError } from "../src/errors.ts";
import { StompFrame, StompHeartBeat } from "../src/protocol/frame.ts";
import { StompParser } from "../src/protocol/parser.ts";
import { type StompVersion, VERSIONS } from "../src/protocol/spec.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const wire = (f: StompFrame) => dec.decode(f.toBytes());
const plain = (f: StompFrame) => ({ ...f.headers });
const frameError = (pattern?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof StompFrameError, `expected StompFrameError, got ${e}`);
  if (pattern) assert.match(e.message, pattern);
  return true;
};

Deno.test("frame: SEND with a destination and a two-line body (stompest test_frame)", () => {
  const frame = new StompFrame("SEND", { destination: "/queue/world" }, "two\nlines");
  assert.equal(frame.command, "SEND");
  assert.deepEqual(plain(frame), { destination: "/queue/world" });
  assert.deepEqual(frame.rawHeaders, [["destination", "/queue/world"]]);
  assert.equal(frame.text(), "two\nlines");
  assert.equal(frame.version, "1.2");
  assert.equal(wire(frame), "SEND\ndestination:/queue/world\n\ntwo\nlines\0");
});

Deno.test("frame: without headers and body (stompest test_frame_without_headers_and_body)", () => {
  const frame = new StompFrame("DISCONNECT");
  assert.deepEqual(plain(frame), {});
  assert.deepEqual(frame.rawHeaders, []);
  assert.equal(frame.body.length, 0);
  assert.equal(wire(frame), "DISCONNECT\n\n\0");
  assert.ok(frame.equals(new StompFrame("DISCONNECT", {}, "")));
  assert.ok(frame.equals(new StompFrame("DISCONNECT", [], new Uint8Array(0))));
});

Deno.test("frame: a record's values are stringified and undefined entries left out, in order", () => {
  const frame = new StompFrame("SEND", {
    destination: "/queue/a",
    priority: 4,
    persistent: true,
    skipped: undefined,
    "": "empty-name",
    "empty-value": "",
  });
  assert.deepEqual(frame.rawHeaders, [
    ["destination", "/queue/a"],
    ["priority", "4"],
    ["persistent", "true"],
    ["", "empty-name"],
    ["empty-value", ""],
  ]);
  assert.equal(frame.headers.priority, "4");
  assert.equal("skipped" in frame.headers, false);
});

Deno.test("frame: pairs are kept raw, repeats included; headers is first-wins", () => {
  const pairs: [string, string][] = [["x", "1"], ["y", "2"], ["x", "3"]];
  const frame = new StompFrame("MESSAGE", pairs);
  assert.deepEqual(frame.rawHeaders, pairs);
  assert.deepEqual(plain(frame), { x: "1", y: "2" });
  assert.equal(wire(frame), "MESSAGE\nx:1\ny:2\nx:3\n\n\0");
});

Deno.test("frame: headers is a null-prototype record, so names like __proto__ are plain keys", () => {
  const frame = new StompFrame("MESSAGE", [["__proto__", "a"], ["constructor", "b"], ["toString", "c"]]);
  assert.equal(Object.getPrototypeOf(frame.headers), null);
  assert.equal(frame.headers["__proto__"], "a");
  assert.equal(frame.headers.constructor as unknown, "b");
  assert.equal(frame.headers.toString as unknown, "c");
  assert.equal(frame.headers.missing, undefined);
});

Deno.test("frame: a string body is UTF-8 encoded, a Uint8Array body is kept as given", () => {
  const text = new StompFrame("SEND", {}, "grüße €");
  assert.deepEqual(text.body, enc.encode("grüße €"));
  assert.equal(text.body.length, 11);
  assert.equal(text.text(), "grüße €");
  const bytes = new Uint8Array([0, 1, 2, 0xff]);
  assert.equal(new StompFrame("SEND", {}, bytes).body, bytes);
  assert.deepEqual(new StompFrame("SEND", {}, '{"a":[1,2]}').json(), { a: [1, 2] });
});

Deno.test("frame: version defaults to 1.2; an unknown version is a TypeError", () => {
  assert.equal(new StompFrame("SEND").version, "1.2");
  assert.equal(new StompFrame("SEND", {}, "", "1.0").version, "1.0");
  assert.throws(() => new StompFrame("SEND", {}, "", "2.0" as StompVersion), TypeError);
});

Deno.test("frame: toBytes writes a binary body with NULs verbatim and ends with one NUL", () => {
  const body = new Uint8Array([0xf0, 0, 0x0a, 0x09]);
  const bytes = new StompFrame("MESSAGE", { "content-length": "4" }, body).toBytes();
  assert.deepEqual([...bytes], [...enc.encode("MESSAGE\ncontent-length:4\n\n"), 0xf0, 0, 0x0a, 0x09, 0]);
});

Deno.test("frame: toBytes writes UTF-8 headers", () => {
  const frame = new StompFrame("SEND", { "grüße": "schöne Welt ☃" }, "", "1.1");
  assert.deepEqual(frame.toBytes(), enc.encode("SEND\ngrüße:schöne Welt ☃\n\n\0"));
});

Deno.test("frame: header text larger than any internal buffer is written whole", () => {
  const big = "x".repeat(100_000) + "ü";
  const frame = new StompFrame("SEND", { a: big, b: big }, "body");
  assert.equal(wire(frame), `SEND\na:${big}\nb:${big}\n\nbody\0`);
});

// [version, command, name, value, wire line or undefined for "cannot be written"]
const escapeMatrix: [StompVersion, string, string, string, string | undefined][] = [
  // 1.0 escapes nothing: ':' in a value is fine (ActiveMQ message-ids), backslashes and CR are raw.
  ["1.0", "SEND", "message-id", "ID:host-1:2:3", "message-id:ID:host-1:2:3"],
  ["1.0", "SEND", "a", "back\\slash\r", "a:back\\slash\r"],
  ["1.0", "SEND", "a", "line\nfeed", undefined],
  ["1.0", "SEND", "line\nfeed", "a", undefined],
  ["1.0", "SEND", "co:lon", "a", undefined],
  ["1.0", "SEND", "nul", "a\0", undefined],
  ["1.0", "SEND", "n\0l", "a", undefined],
  // 1.1 escapes backslash, LF and ':'; CR has no escape (RabbitMQ drops the connection over a raw one).
  ["1.1", "SEND", "a", "x:y", "a:x\\cy"],
  ["1.1", "SEND", "a", "x\ny", "a:x\\ny"],
  ["1.1", "SEND", "a", "x\\y", "a:x\\\\y"],
  ["1.1", "SEND", "a", "x\\ny", "a:x\\\\ny"],
  ["1.1", "SEND", "a", "x\ry", undefined],
  ["1.1", "SEND", "c\r", "v", undefined],
  ["1.1", "SEND", "k:\n\\", "v", "k\\c\\n\\\\:v"],
  ["1.1", "SEND", "a", "x\0", undefined],
  // 1.2 also escapes CR.
  ["1.2", "SEND", "a", "x:y", "a:x\\cy"],
  ["1.2", "SEND", "a", "x\ny", "a:x\\ny"],
  ["1.2", "SEND", "a", "x\\y", "a:x\\\\y"],
  ["1.2", "SEND", "a", "x\ry", "a:x\\ry"],
  ["1.2", "SEND", "k\r:", "\\\r\n:", "k\\r\\c:\\\\\\r\\n\\c"],
  ["1.2", "SEND", "a\0", "x", undefined],
  // CONNECT and CONNECTED are never escaped: LF, CR and NUL anywhere and ':' in a name are refused.
  ...VERSIONS.flatMap((v): [StompVersion, string, string, string, string | undefined][] =>
    ["CONNECT", "CONNECTED"].flatMap((c): [StompVersion, string, string, string, string | undefined][] => [
      [v, c, "passcode", "a:b\\c", "passcode:a:b\\c"],
      [v, c, "login", "x\ny", undefined],
      [v, c, "login", "x\ry", undefined],
      [v, c, "login", "x\0y", undefined],
      [v, c, "lo\ngin", "x", undefined],
      [v, c, "lo\rgin", "x", undefined],
      [v, c, "lo:gin", "x", undefined],
    ])
  ),
];

Deno.test("frame: the escaping matrix per version, CONNECT and CONNECTED never escaped", () => {
  for (const [version, command, name, value, line] of escapeMatrix) {
    const frame = new StompFrame(command, [[name, value]], undefined, version);
    const what = `${version} ${command} ${JSON.stringify([name, value])}`;
    if (line === undefined) {
      assert.throws(() => frame.toBytes(), frameError(/cannot be written/), what);
    } else {
      assert.equal(wire(frame), `${command}\n${line}\n\n\0`, what);
      // And the parser of the same version reads back exactly what was written.
      const parser = new StompParser(version);
      parser.add(frame.toBytes());
      const back = parser.get() as StompFrame;
      assert.deepEqual(back.rawHeaders, [[name, value]], what);
    }
  }
});

Deno.test("frame: a command that is empty or holds an EOL, NUL or ':' cannot be written", () => {
  for (const command of ["", "SEND\n", "SE\rND", "SEND\0", "SEND:"]) {
    assert.throws(() => new StompFrame(command).toBytes(), frameError(/invalid command/));
  }
});

Deno.test("frame: a body on a command that may not carry one is refused in 1.1/1.2, written in 1.0", () => {
  for (const version of ["1.1", "1.2"] as const) {
    assert.throws(
      () => new StompFrame("DISCONNECT", {}, "x", version).toBytes(),
      frameError(/may not carry a body/),
    );
    assert.equal(wire(new StompFrame("ERROR", {}, "x", version)), "ERROR\n\nx\0");
  }
  assert.equal(wire(new StompFrame("DISCONNECT", {}, "x", "1.0")), "DISCONNECT\n\nx\0");
});

Deno.test("frame: equality is by wire bytes", () => {
  const a = new StompFrame("SEND", { destination: "/q", x: "1" }, "hi");
  assert.ok(a.equals(new StompFrame("SEND", [["destination", "/q"], ["x", "1"]], enc.encode("hi"))));
  assert.ok(!a.equals(new StompFrame("SEND", { x: "1", destination: "/q" }, "hi")), "header order counts");
  assert.ok(!a.equals(new StompFrame("SEND", { destination: "/q", x: "1" }, "ho")));
  assert.ok(!a.equals(new StompFrame("SEND", { destination: "/q", x: "1", y: "" }, "hi")));
  assert.ok(!a.equals(StompHeartBeat.INSTANCE));
  // The same frame in two versions is equal exactly when its escaped bytes are.
  assert.ok(a.equals(new StompFrame("SEND", { destination: "/q", x: "1" }, "hi", "1.0")));
  const colon = (v: StompVersion) => new StompFrame("SEND", { id: "a:b" }, "", v);
  assert.ok(!colon("1.0").equals(colon("1.1")));
  assert.ok(colon("1.1").equals(colon("1.2")));
  // A frame that cannot be written equals nothing, rather than throwing from a comparison.
  const bad = new StompFrame("SEND", { a: "x\0" });
  assert.ok(!bad.equals(bad));
});

Deno.test("frame: info(), toString(), inspect and JSON never show a passcode", () => {
  const secret = "s3cr3t-pass";
  const frames = [
    new StompFrame("CONNECT", { login: "guest", passcode: secret, host: "/" }),
    new StompFrame("STOMP", [["passcode", secret], ["passcode", secret]], undefined, "1.1"),
  ];
  for (const frame of frames) {
    const shown = [
      frame.info(),
      frame.toString(),
      String(frame),
      `${frame}`,
      Deno.inspect(frame),
      Deno.inspect({ nested: [frame] }, { depth: 10 }),
      Deno.inspect(frame, { showHidden: true, depth: 10 }),
      JSON.stringify(frame),
      JSON.stringify({ frame }),
    ];
    for (const text of shown) {
      assert.ok(!text.includes(secret), `passcode shown in ${text}`);
      assert.match(text, /passcode/);
    }
  }
  assert.match(frames[0].info(), /^CONNECT \{login:guest, passcode:\*\*\*, host:\/\} 0 bytes body/);
  // The passcode stays available to the code that writes the frame.
  assert.equal(frames[0].headers.passcode, secret);
  assert.ok(dec.decode(frames[0].toBytes()).includes(`passcode:${secret}\n`));
});

Deno.test("frame: an unwritable passcode is refused without echoing it", () => {
  const secret = "line\ninjected:header";
  for (const version of VERSIONS) {
    const frame = new StompFrame("CONNECT", { login: "guest", passcode: secret }, undefined, version);
    assert.throws(() => frame.toBytes(), (e: unknown) => {
      assert.ok(e instanceof StompFrameError);
      assert.ok(!e.message.includes("injected"), e.message);
      assert.match(e.message, /passcode/);
      return true;
    });
  }
});

Deno.test("frame: info() is short: long values cut, at most 8 headers listed", () => {
  const pairs = Array.from({ length: 12 }, (_, i): [string, string] => [`h${i}`, "v".repeat(100)]);
  const info = new StompFrame("MESSAGE", pairs, new Uint8Array(42), "1.1").info();
  assert.match(info, /^MESSAGE \{h0:v{60}…, /);
  assert.match(info, /h7:v{60}…, …\+4\} 42 bytes body \(STOMP 1\.1\)$/);
  assert.ok(info.length < 800);
});

Deno.test("heart-beat: one EOL, distinct from every frame, one shared instance", () => {
  const beat = StompHeartBeat.INSTANCE;
  assert.deepEqual(beat.toBytes(), new Uint8Array([0x0a]));
  beat.toBytes()[0] = 0x41; // a caller scribbling on its copy changes nothing
  assert.deepEqual(beat.toBytes(), new Uint8Array([0x0a]));
  assert.ok(beat.equals(StompHeartBeat.INSTANCE));
  assert.ok(!beat.equals(new StompFrame("SEND")));
  assert.ok(!(beat instanceof StompFrame));
  assert.equal(beat.info(), "heart-beat");
});

Deno.test("frame: round trip toBytes → parser → equals, every version", () => {
  const binary = new Uint8Array(256).map((_, i) => i);
  for (const version of VERSIONS) {
    const frames = [
      new StompFrame("SEND", { destination: "/queue/a", "content-length": 256 }, binary, version),
      new StompFrame(
        "SEND",
        { destination: "/queue/ü", "hello ": " there " },
        "some stuff\nand more",
        version,
      ),
      new StompFrame("MESSAGE", [["x", "1"], ["x", "2"], ["", ""]], "", version),
      new StompFrame("CONNECT", { login: "a", passcode: "b:c\\d", host: "/" }, undefined, version),
      new StompFrame("DISCONNECT", { receipt: "r-1" }, undefined, version),
      new StompFrame("ERROR", { message: version === "1.0" ? "oops" : "a:b\\c\nd" }, "details", version),
    ];
    const parser = new StompParser(version);
    for (const frame of frames) parser.add(frame.toBytes());
    for (const frame of frames) {
      const back = parser.get();
      assert.ok(back instanceof StompFrame);
      assert.ok(back.equals(frame), `${version}: ${back.info()} vs ${frame.info()}`);
      assert.deepEqual(back.rawHeaders, frame.rawHeaders);
      assert.deepEqual(back.body, frame.body);
      assert.equal(back.version, version);
    }
    assert.equal(parser.canRead(), false);
  }
});

Deno.test("frame: toBytes returns fresh bytes each time; scribbling on them changes no frame", () => {
  const frame = new StompFrame("SEND", { destination: "/q" }, "body");
  const first = frame.toBytes();
  const second = frame.toBytes();
  assert.notEqual(first, second);
  first.fill(0x41);
  assert.equal(dec.decode(second), "SEND\ndestination:/q\n\nbody\0");
  assert.equal(wire(frame), "SEND\ndestination:/q\n\nbody\0");
});
