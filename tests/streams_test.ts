import assert from "node:assert/strict";
import { StompFrameError } from "../src/errors.ts";
import { StompFrame, StompHeartBeat } from "../src/protocol/frame.ts";
import { StompFrameDecoderStream, StompFrameEncoderStream } from "../src/protocol/streams.ts";

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);
type Item = StompFrame | StompHeartBeat;
const describe = (item: Item) =>
  item instanceof StompFrame
    ? `${item.command} ${JSON.stringify(item.rawHeaders)} ${item.text()}`
    : "heart-beat";

function chunked(wire: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < wire.length; i += size) out.push(wire.slice(i, i + size));
  return out;
}

const decode = (chunks: Uint8Array[], decoder = new StompFrameDecoderStream()) =>
  Array.fromAsync(ReadableStream.from(chunks).pipeThrough(decoder));

const wire = bytes(
  "CONNECTED\nversion:1.2\n\n\0\n" +
    "MESSAGE\ndestination:/q\nmessage-id:ID\\c1\ncontent-length:5\n\nhe\0lo\0\r\n" +
    "MESSAGE\ndestination:/q\nmessage-id:ID\\c2\n\nsecond\0",
);
const expected = [
  'CONNECTED [["version","1.2"]] ',
  "heart-beat",
  'MESSAGE [["destination","/q"],["message-id","ID:1"],["content-length","5"]] he\0lo',
  "heart-beat",
  'MESSAGE [["destination","/q"],["message-id","ID:2"]] second',
];

Deno.test("decoder stream: frames and heart-beats in order, whatever the chunking", async () => {
  for (const size of [1, 2, 5, 17, 64, wire.length]) {
    const items = await decode(chunked(wire, size));
    assert.deepEqual(items.map(describe), expected, `chunks of ${size}`);
    assert.equal(items[1], StompHeartBeat.INSTANCE);
  }
});

Deno.test("decoder stream: a bad frame errors the stream with a StompFrameError", async () => {
  const chunks = [
    bytes("RECEIPT\nreceipt-id:1\n\n\0"),
    bytes("HELLO\n\n\0"),
    bytes("RECEIPT\nreceipt-id:2\n\n\0"),
  ];
  const reader = ReadableStream.from(chunks).pipeThrough(new StompFrameDecoderStream()).getReader();
  assert.equal(describe((await reader.read()).value!), 'RECEIPT [["receipt-id","1"]] ');
  await assert.rejects(reader.read(), (e: unknown) => {
    assert.ok(e instanceof StompFrameError);
    assert.match(e.message, /unknown command "HELLO"/);
    return true;
  });
});

Deno.test("decoder stream: with onError a bad frame is reported and dropped, the rest decoded", async () => {
  const errors: StompFrameError[] = [];
  const decoder = new StompFrameDecoderStream({ version: "1.1", onError: (e) => errors.push(e) });
  const chunks = [
    bytes("RECEIPT\nreceipt-id:1\n\n\0HELLO\n\n\0RECEIPT\nreceipt-id:2\n\n\0"),
    bytes("MESSAGE\nbad:\\t\n\n\0"),
    bytes("RECEIPT\nreceipt-id:3\n\n\0"),
  ];
  const items = await decode(chunks, decoder);
  assert.deepEqual(items.map(describe), [1, 2, 3].map((n) => `RECEIPT [["receipt-id","${n}"]] `));
  assert.deepEqual(errors.map((e) => e.message), [
    'unknown command "HELLO" for STOMP 1.1',
    "MESSAGE: undefined escape sequence \\t in a header",
  ]);
});

Deno.test("decoder stream: ending inside a frame is a StompFrameError (or an onError call)", async () => {
  for (const tail of ["MESSAGE\ndestination:/q\n\npartial body", "MESSAGE\ndest", "\r"]) {
    const chunks = [bytes("RECEIPT\nreceipt-id:1\n\n\0"), bytes(tail)];
    await assert.rejects(decode(chunks), (e: unknown) => {
      assert.ok(e instanceof StompFrameError);
      assert.match(e.message, /ended inside a frame/);
      return true;
    }, tail);
    const errors: StompFrameError[] = [];
    const items = await decode(chunks, new StompFrameDecoderStream({ onError: (e) => errors.push(e) }));
    assert.deepEqual(items.map(describe), ['RECEIPT [["receipt-id","1"]] ']);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /ended inside a frame/);
  }
  // Trailing EOLs are no frame: the stream just ends.
  assert.equal((await decode([bytes("RECEIPT\nreceipt-id:1\n\n\0\n\n")])).length, 3);
});

Deno.test("decoder stream: limits and version are passed on; the version can switch mid-stream", async () => {
  await assert.rejects(
    decode(
      [bytes(`MESSAGE\n\n${"x".repeat(11)}\0`)],
      new StompFrameDecoderStream({ limits: { maxBodyBytes: 10 } }),
    ),
    (e: unknown) => e instanceof StompFrameError && e.limit === "maxBodyBytes",
  );
  const decoder = new StompFrameDecoderStream({ version: "1.0" });
  assert.equal(decoder.version, "1.0");
  const writer = decoder.writable.getWriter();
  const reader = decoder.readable.getReader();
  const written = writer.write(bytes("CONNECTED\nversion:1.2\n\n\0"));
  const connected = (await reader.read()).value as StompFrame;
  await written;
  assert.equal(connected.headers.version, "1.2");
  decoder.version = "1.2";
  const next = writer.write(bytes("\r\nMESSAGE\r\nid:a\\cb\r\n\r\n\0"));
  assert.equal((await reader.read()).value, StompHeartBeat.INSTANCE);
  const message = (await reader.read()).value as StompFrame;
  await next;
  assert.deepEqual(message.rawHeaders, [["id", "a:b"]]);
  assert.equal(message.version, "1.2");
  await writer.close();
  assert.equal((await reader.read()).done, true);
});

Deno.test("decoder stream: a chunk that is not a Uint8Array errors the stream with a TypeError", async () => {
  const stream = ReadableStream.from(["MESSAGE\n\n\0" as unknown as Uint8Array]);
  await assert.rejects(Array.fromAsync(stream.pipeThrough(new StompFrameDecoderStream())), TypeError);
});

Deno.test("decoder stream: the writer may reuse its buffer once write() resolved", async () => {
  const decoder = new StompFrameDecoderStream();
  const writer = decoder.writable.getWriter();
  const collected = Array.fromAsync(decoder.readable);
  const buffer = new Uint8Array(7);
  for (let at = 0; at < wire.length; at += buffer.length) {
    const n = Math.min(buffer.length, wire.length - at);
    buffer.set(wire.subarray(at, at + n));
    await writer.write(buffer.subarray(0, n));
    buffer.fill(0xee);
  }
  await writer.close();
  assert.deepEqual((await collected).map(describe), expected);
});

Deno.test("encoder stream: frames and heart-beats to wire bytes, each frame in its own version", async () => {
  const items: Item[] = [
    new StompFrame("SEND", { destination: "/q", id: "a:b" }, "hi", "1.2"),
    StompHeartBeat.INSTANCE,
    new StompFrame("SEND", { destination: "/q", id: "a:b" }, "hi", "1.0"),
  ];
  const chunks = await Array.fromAsync(ReadableStream.from(items).pipeThrough(new StompFrameEncoderStream()));
  assert.deepEqual(chunks.map((c) => new TextDecoder().decode(c)), [
    "SEND\ndestination:/q\nid:a\\cb\n\nhi\0",
    "\n",
    "SEND\ndestination:/q\nid:a:b\n\nhi\0",
  ]);
});

Deno.test("encoder stream: a frame that cannot be written errors the stream", async () => {
  const items = [new StompFrame("SEND", { destination: "/q\n" }, "", "1.0")];
  await assert.rejects(
    Array.fromAsync(ReadableStream.from(items).pipeThrough(new StompFrameEncoderStream())),
    StompFrameError,
  );
  const notFrames = ReadableStream.from([{ command: "SEND" } as unknown as StompFrame]);
  await assert.rejects(Array.fromAsync(notFrames.pipeThrough(new StompFrameEncoderStream())), TypeError);
});

Deno.test("encoder → decoder round trip through a byte stream re-chunked at random sizes", async () => {
  const frames = [
    new StompFrame("CONNECT", { "accept-version": "1.2", host: "/", passcode: "p:w" }),
    new StompFrame("SEND", { destination: "/q", "content-length": 4 }, new Uint8Array([0, 1, 0, 2])),
    new StompFrame("SEND", { destination: "/q/ü", "x\\y": "a\r\nb" }, "text"),
    new StompFrame("DISCONNECT", { receipt: "bye" }),
  ];
  const items: Item[] = [
    frames[0],
    StompHeartBeat.INSTANCE,
    frames[1],
    frames[2],
    StompHeartBeat.INSTANCE,
    frames[3],
  ];
  const encoded = await Array.fromAsync(
    ReadableStream.from(items).pipeThrough(new StompFrameEncoderStream()),
  );
  const all = new Uint8Array(encoded.reduce((n, c) => n + c.length, 0));
  encoded.reduce((at, c) => (all.set(c, at), at + c.length), 0);
  let seed = 7;
  const rechunked: Uint8Array[] = [];
  for (let at = 0; at < all.length;) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const n = 1 + (seed % 13);
    rechunked.push(all.slice(at, at + n));
    at += n;
  }
  const back = await decode(rechunked);
  assert.equal(back.length, items.length);
  back.forEach((item, i) =>
    assert.ok(item.equals(items[i] as StompFrame), `${item.info()} vs ${items[i].info()}`)
  );
});
