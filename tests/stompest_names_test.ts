// The names a stompest user looks for (issue 15): StompSpec, the sync client's receipt argument
// (stompest's positional id, or the `{ receipt, timeout, signal }` both clients share), canRead with
// a signal, Stomp.message/receipt, and StompFrame.fromBytes (stomper's unpack_frame).
import assert from "node:assert/strict";
import {
  AckMode,
  Command,
  Header,
  Stomp,
  StompCancelledError,
  StompFrame,
  StompFrameError,
  StompProtocolError,
  StompSpec,
  type StompVersion,
  unpackFrame,
  VERSIONS,
} from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { random } from "./helpers/frame_gen.ts";

const WAIT = { timeout: 5000 };

async function connected(broker: StompTestBroker, version: StompVersion = "1.2"): Promise<Stomp> {
  const client = new Stomp("tcp://test:1", {
    login: "guest",
    passcode: "guest",
    connector: broker.connector,
  });
  await client.connect({ versions: [version] });
  return client;
}

Deno.test("sync receipts: a positional id as in stompest, or options that wait for the RECEIPT", async () => {
  await using broker = new StompTestBroker();
  await using client = await connected(broker);
  // stompest's way: the call resolves once written; the RECEIPT comes through receiveFrame.
  await client.send("/queue/r", "a", {}, "r-1");
  const receipt = await client.receiveFrame(WAIT);
  assert.equal(client.receipt(receipt), "r-1");
  // The shared shape: resolved once confirmed, and the RECEIPT is consumed by the call.
  await client.send("/queue/r", "b", {}, { receipt: true, ...WAIT });
  const token = await client.subscribe("/queue/other", { ack: "client-individual" }, { receipt: "sub-1" });
  const tx = await client.begin(undefined, { receipt: true });
  await client.commit(tx, { receipt: "commit-1", ...WAIT });
  await client.unsubscribe(token, { receipt: true });
  assert.equal(await client.canRead(0), false, "every RECEIPT was taken by its call");
  const confirmed = broker.frames.map((f) => f.frame).filter((f) => f.headers.receipt !== undefined);
  assert.deepEqual(confirmed.map((f) => f.command), [
    "SEND",
    "SEND",
    "SUBSCRIBE",
    "BEGIN",
    "COMMIT",
    "UNSUBSCRIBE",
  ]);
  assert.match(confirmed[1].headers.receipt, /^send-/);

  // An ERROR answering the receipt rejects the call with it.
  broker.faults.errorOnSend = { message: "queue full", close: false };
  await assert.rejects(client.send("/queue/r", "c", {}, { receipt: true, ...WAIT }), (e) => {
    assert.ok(e instanceof StompProtocolError);
    assert.equal(e.frame?.headers.message, "queue full");
    return true;
  });
  // A RECEIPT that never comes: the timeout.
  broker.faults.blackHole = true;
  await assert.rejects(client.send("/queue/r", "d", {}, { receipt: true, timeout: 30 }), StompCancelledError);
});

Deno.test("sync disconnect: stompest's positional receipt, or { receipt: true }", async () => {
  await using broker = new StompTestBroker();
  for (const receipt of ["bye", { receipt: true as const }]) {
    const client = await connected(broker);
    await client.disconnect(receipt);
    const sent = (await broker.waitFor("DISCONNECT", { ...WAIT, since: broker.frames.length - 1 })).frame;
    assert.match(sent.headers.receipt, typeof receipt === "string" ? /^bye$/ : /^disconnect-/);
  }
});

Deno.test("canRead takes stompest's timeout or { timeout, signal }", async () => {
  await using broker = new StompTestBroker();
  await using client = await connected(broker);
  await client.subscribe("/queue/can-read");
  assert.equal(await client.canRead({ timeout: 20 }), false);
  assert.equal(await client.canRead({ signal: AbortSignal.abort() }), false);
  assert.equal(await client.canRead({ signal: AbortSignal.timeout(20) }), false);
  const waiting = client.canRead({ timeout: 5000, signal: new AbortController().signal });
  broker.publish("/queue/can-read", "m");
  assert.equal(await waiting, true);
  assert.equal(await client.canRead(0), true);
  assert.equal((await client.receiveFrame()).text(), "m");
});

Deno.test("Stomp.message(frame) is the token of the subscription it belongs to (1.0 to 1.2)", async () => {
  await using broker = new StompTestBroker();
  for (const version of VERSIONS) {
    await using client = await connected(broker, version);
    const a = await client.subscribe(`/queue/a-${version}`);
    const b = await client.subscribe(`/queue/b-${version}`);
    broker.publish(`/queue/b-${version}`, "for b");
    broker.publish(`/queue/a-${version}`, "for a");
    const tokens = [await client.receiveFrame(WAIT), await client.receiveFrame(WAIT)].map((f) =>
      client.message(f)
    );
    assert.deepEqual(tokens, [b, a], version);
    await client.unsubscribe(a);
    await client.unsubscribe(b);
    const stray = new StompFrame(
      "MESSAGE",
      {
        destination: "/queue/x",
        "message-id": "1",
        subscription: "nobody",
      },
      undefined,
      version,
    );
    assert.throws(() => client.message(stray), StompProtocolError);
  }
});

// Every constant of stompest.protocol.spec.StompSpec.
const STOMPEST_NAMES = [
  "VERSION_1_0",
  "VERSION_1_1",
  "VERSION_1_2",
  "VERSIONS",
  "DEFAULT_VERSION",
  "ABORT",
  "ACK",
  "BEGIN",
  "COMMIT",
  "CONNECT",
  "DISCONNECT",
  "NACK",
  "SEND",
  "STOMP",
  "SUBSCRIBE",
  "UNSUBSCRIBE",
  "CLIENT_COMMANDS",
  "CONNECTED",
  "ERROR",
  "MESSAGE",
  "RECEIPT",
  "SERVER_COMMANDS",
  "COMMANDS",
  "COMMANDS_BODY_ALLOWED",
  "LINE_DELIMITER",
  "STRIP_LINE_DELIMITER",
  "ESCAPE_CHARACTER",
  "ESCAPED_CHARACTERS",
  "COMMANDS_ESCAPE_EXCLUDED",
  "FRAME_DELIMITER",
  "HEADER_SEPARATOR",
  "ACCEPT_VERSION_HEADER",
  "ACK_HEADER",
  "CONTENT_LENGTH_HEADER",
  "CONTENT_TYPE_HEADER",
  "DESTINATION_HEADER",
  "HEART_BEAT_HEADER",
  "HOST_HEADER",
  "ID_HEADER",
  "LOGIN_HEADER",
  "MESSAGE_ID_HEADER",
  "PASSCODE_HEADER",
  "RECEIPT_HEADER",
  "RECEIPT_ID_HEADER",
  "SELECTOR_HEADER",
  "SESSION_HEADER",
  "SERVER_HEADER",
  "SUBSCRIPTION_HEADER",
  "TRANSACTION_HEADER",
  "VERSION_HEADER",
  "ACK_AUTO",
  "ACK_CLIENT",
  "ACK_CLIENT_INDIVIDUAL",
  "CLIENT_ACK_MODES",
  "HEART_BEAT_SEPARATOR",
  "version",
  "versions",
  "codec",
]; // deno-fmt-ignore

Deno.test("StompSpec has every stompest name, agreeing with the library's tables", () => {
  const spec = StompSpec as unknown as Record<string, unknown>;
  assert.deepEqual(STOMPEST_NAMES.filter((name) => spec[name] === undefined), []);
  for (const [name, value] of Object.entries(Command)) assert.equal(spec[name], value, name);
  for (const [name, value] of Object.entries(Header)) {
    if (name !== "MESSAGE") assert.equal(spec[`${name}_HEADER`], value, name); // stompest has no MESSAGE_HEADER
  }
  for (const [name, value] of Object.entries(AckMode)) assert.equal(spec[`ACK_${name}`], value, name);
  assert.deepEqual([StompSpec.VERSION_1_0, StompSpec.VERSION_1_1, StompSpec.VERSION_1_2], [...VERSIONS]);
  assert.equal(StompSpec.CLIENT_COMMANDS["1.0"].has(StompSpec.NACK), false);
  assert.equal(StompSpec.CLIENT_COMMANDS["1.1"].has(StompSpec.NACK), true);
  assert.equal(StompSpec.COMMANDS_BODY_ALLOWED["1.0"].has(StompSpec.SUBSCRIBE), true);
  assert.equal(StompSpec.COMMANDS_BODY_ALLOWED["1.2"].has(StompSpec.SUBSCRIBE), false);
  assert.deepEqual(StompSpec.ESCAPED_CHARACTERS["1.2"], { "\\": "\\", c: ":", n: "\n", r: "\r" });
  assert.deepEqual([...StompSpec.COMMANDS_ESCAPE_EXCLUDED["1.1"]].sort(), ["CONNECT", "CONNECTED"]);
  assert.equal(StompSpec.COMMANDS_ESCAPE_EXCLUDED["1.0"].has("SEND"), true);
  assert.equal(StompSpec.version(), "1.2");
  assert.throws(() => StompSpec.version("2.0"), StompProtocolError);
  assert.deepEqual(StompSpec.versions("1.1"), ["1.0", "1.1"]);
  assert.deepEqual([StompSpec.codec("1.0"), StompSpec.codec("1.2")], ["ascii", "utf-8"]);
});

Deno.test("StompFrame.fromBytes inverts toBytes (seeded frames, every version)", () => {
  const next = random(15);
  const pick = (chars: string, n: number) =>
    Array.from({ length: n }, () => chars[Math.floor(next() * chars.length)]).join("");
  // 1.0 cannot escape; 1.1 cannot carry CR; 1.2 escapes all of these.
  const alphabet: Record<StompVersion, string> = {
    "1.0": "ab-_.;=/ ",
    "1.1": "ab-_.;=/ :\\\nü✓",
    "1.2": "ab-_.;=/ :\\\n\rü✓",
  };
  for (let i = 0; i < 300; i++) {
    const version = VERSIONS[i % 3];
    const headers: [string, string][] = [];
    for (let h = Math.floor(next() * 5); h > 0; h--) {
      headers.push([
        `x${pick(alphabet[version], 1 + Math.floor(next() * 6))}`,
        pick(alphabet[version], Math.floor(next() * 12)),
      ]);
    }
    const body = Uint8Array.from({ length: Math.floor(next() * 40) }, () => Math.floor(next() * 256));
    headers.push(["content-length", String(body.length)]);
    const frame = new StompFrame("SEND", headers, body, version);
    const wire = frame.toBytes();
    const parsed = StompFrame.fromBytes(wire, version);
    assert.equal(parsed.command, "SEND");
    assert.deepEqual(parsed.rawHeaders, headers, `frame ${i} (${version})`);
    assert.deepEqual(parsed.body, body);
    assert.ok(parsed.equals(frame));
  }
});

Deno.test("StompFrame.fromBytes wants exactly one whole frame", () => {
  const send = new StompFrame("SEND", { destination: "/queue/a" }, "hi").toBytes();
  const text = new TextDecoder().decode(send);
  assert.equal(StompFrame.fromBytes(`\n${text}\n\n`).text(), "hi", "heart-beats around it are fine");
  assert.equal(unpackFrame(text, "1.0").headers.destination, "/queue/a");
  assert.throws(() => StompFrame.fromBytes(""), StompFrameError);
  assert.throws(() => StompFrame.fromBytes(send.subarray(0, send.length - 1)), /end inside a frame/);
  assert.throws(() => StompFrame.fromBytes(text + text), /more than one frame/);
  assert.throws(() => StompFrame.fromBytes("NOPE\n\n\0"), StompFrameError);
});
