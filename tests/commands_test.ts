import assert from "node:assert/strict";
import * as commands from "../src/protocol/commands.ts";
import { StompProtocolError } from "../src/protocol/protocol_error.ts";
import { StompFrame, StompHeartBeat } from "../src/protocol/frame.ts";
import type { StompVersion } from "../src/protocol/spec.ts";

const dec = new TextDecoder();
const wire = (f: StompFrame) => dec.decode(f.toBytes());
const headersOf = (f: StompFrame) => ({ ...f.headers });
const isProtocolError = (pattern?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof StompProtocolError, `expected StompProtocolError, got ${e}`);
  if (pattern) assert.match(e.message, pattern);
  return true;
};
const message = (headers: Record<string, string>, version: StompVersion = "1.0") =>
  new StompFrame("MESSAGE", headers, undefined, version);

Deno.test("connect: 1.0 only carries no accept-version and no host requirement", () => {
  assert.deepEqual(headersOf(commands.connect({ versions: ["1.0"] })), {});
  assert.deepEqual(headersOf(commands.connect({ versions: ["1.0"], login: "hi" })), { login: "hi" });
  assert.deepEqual(headersOf(commands.connect({ versions: ["1.0"], passcode: "there" })), {
    passcode: "there",
  });
  assert.deepEqual(
    headersOf(
      commands.connect({ versions: ["1.0"], login: "hi", passcode: "there", headers: { "4711": "0815" } }),
    ),
    { login: "hi", passcode: "there", "4711": "0815" },
  );
  assert.equal(commands.connect({ versions: ["1.0"] }).version, "1.0");
});

Deno.test("connect: offering 1.1+ adds accept-version and requires host", () => {
  assert.deepEqual(headersOf(commands.connect({ versions: ["1.0", "1.1"], host: "" })), {
    "accept-version": "1.0,1.1",
    host: "",
  });
  assert.deepEqual(headersOf(commands.connect({ versions: ["1.1"], host: "earth" })), {
    "accept-version": "1.1",
    host: "earth",
  });
  assert.deepEqual(
    headersOf(commands.connect({ versions: ["1.1"], login: "hi", passcode: "there", host: "earth" })),
    { "accept-version": "1.1", login: "hi", passcode: "there", host: "earth" },
  );
  // versions are sorted and deduplicated; the frame takes the highest offered
  const frame = commands.connect({ versions: ["1.2", "1.0", "1.2"], host: "/" });
  assert.equal(frame.headers["accept-version"], "1.0,1.2");
  assert.equal(frame.version, "1.2");
  // default: every version
  assert.equal(commands.connect({ host: "/" }).headers["accept-version"], "1.0,1.1,1.2");
  for (const versions of [undefined, ["1.1"], ["1.0", "1.2"]] as const) {
    assert.throws(() => commands.connect({ versions }), isProtocolError(/host header is required/));
  }
  // a host given among the extra headers satisfies the requirement; the explicit option wins
  assert.equal(commands.connect({ versions: ["1.2"], headers: { host: "/" } }).headers.host, "/");
  assert.equal(commands.connect({ versions: ["1.2"], headers: { host: "a" }, host: "b" }).headers.host, "b");
});

Deno.test("connect: heart-beats are two non-negative integers, and need a 1.1+ version", () => {
  const frame = commands.connect({
    versions: ["1.1"],
    login: "hi",
    passcode: "there",
    host: "earth",
    heartBeats: [1, 2],
  });
  assert.deepEqual(headersOf(frame), {
    "accept-version": "1.1",
    login: "hi",
    passcode: "there",
    host: "earth",
    "heart-beat": "1,2",
  });
  assert.equal(
    commands.connect({ versions: ["1.2"], host: "/", heartBeats: [0, 0] }).headers["heart-beat"],
    "0,0",
  );
  const bad: unknown[] = [
    ["bla", "bla"],
    [-1, 0],
    [0, -1],
    [-1, -1],
    1,
    -1,
    "bla",
    [1],
    [1, 2, 3],
    [1.5, 0],
    [
      NaN,
      0,
    ],
  ];
  for (const heartBeats of bad) {
    assert.throws(
      () =>
        commands.connect({ versions: ["1.1"], host: "earth", heartBeats: heartBeats as [number, number] }),
      isProtocolError(/heartBeats/),
    );
  }
  assert.throws(
    () => commands.connect({ versions: ["1.0"], heartBeats: [1, 2] }),
    isProtocolError(/heart-beating/),
  );
  // [0, 0] means "none", harmless in 1.0: no header is written
  assert.equal(commands.connect({ versions: ["1.0"], heartBeats: [0, 0] }).headers["heart-beat"], undefined);
  // a heart-beat among the extra headers is kept but must be valid
  const extra = commands.connect({
    versions: ["1.1"],
    host: "earth",
    headers: { "4711": "0815", "heart-beat": "1,2" },
  });
  assert.deepEqual(headersOf(extra), {
    "4711": "0815",
    "heart-beat": "1,2",
    "accept-version": "1.1",
    host: "earth",
  });
  assert.throws(
    () => commands.connect({ versions: ["1.1"], host: "earth", headers: { "heart-beat": "1" } }),
    isProtocolError(/heart-beat/),
  );
});

Deno.test("connect: bad versions and the passcode never shows in errors", () => {
  assert.throws(() => commands.connect({ versions: [], host: "/" }), isProtocolError(/no STOMP version/));
  assert.throws(
    () => commands.connect({ versions: ["1.3" as StompVersion], host: "/" }),
    (e) => isProtocolError(/1\.3/)(e) && (e as Error).cause instanceof TypeError,
  );
  try {
    commands.connect({ versions: ["1.2"], login: "me", passcode: "s3cret" });
    assert.fail("expected an error");
  } catch (e) {
    assert.ok(e instanceof StompProtocolError);
    assert.ok(!e.message.includes("s3cret"));
  }
  assert.ok(
    !commands.connect({ versions: ["1.2"], host: "/", passcode: "s3cret" }).info().includes("s3cret"),
  );
});

Deno.test("connect: never escaped on the wire, whatever the version", () => {
  const frame = commands.connect({ versions: ["1.2"], host: "/", login: "a\\b" });
  assert.match(wire(frame), /\nlogin:a\\b\n/);
});

Deno.test("stomp: same headers as connect, refused when only 1.0 is offered", () => {
  const stompFrame = commands.stomp({
    login: "hi",
    passcode: "there",
    headers: { "4711": "0815" },
    versions: ["1.1"],
    host: "earth",
  });
  assert.equal(stompFrame.command, "STOMP");
  assert.deepEqual(
    headersOf(stompFrame),
    headersOf(
      commands.connect({
        login: "hi",
        passcode: "there",
        headers: { "4711": "0815" },
        versions: ["1.1"],
        host: "earth",
      }),
    ),
  );
  assert.equal(commands.stomp({ versions: ["1.0", "1.1"], host: "/" }).command, "STOMP");
  assert.throws(
    () => commands.stomp({ login: "hi", passcode: "there", versions: ["1.0"], host: "earth" }),
    isProtocolError(/STOMP does not exist in STOMP 1\.0/),
  );
});

Deno.test("disconnect: a receipt header only when given, and it must be a non-empty string", () => {
  assert.ok(commands.disconnect().equals(new StompFrame("DISCONNECT")));
  assert.ok(commands.disconnect("4711").equals(new StompFrame("DISCONNECT", { receipt: "4711" })));
  assert.throws(() => commands.disconnect(4711 as unknown as string), isProtocolError(/receipt/));
  assert.throws(() => commands.disconnect(""), isProtocolError(/receipt/));
  assert.equal(commands.disconnect(undefined, "1.1").version, "1.1");
});

Deno.test("send: destination, headers, receipt, transaction; escaped by the version", () => {
  const frame = commands.send("/queue/a", "hello", { "x-a": "1", destination: "/queue/ignored" }, {
    receipt: "r1",
    transaction: "tx",
    version: "1.1",
  });
  assert.deepEqual(headersOf(frame), {
    "x-a": "1",
    destination: "/queue/a",
    transaction: "tx",
    receipt: "r1",
  });
  assert.equal(frame.text(), "hello");
  assert.equal(frame.version, "1.1");
  assert.equal(commands.send("/queue/a").body.length, 0);
  assert.match(wire(commands.send("/queue/a", "", { k: "a:b" }, { version: "1.2" })), /\nk:a\\cb\n/);
  assert.match(wire(commands.send("/queue/a", "", { k: "a:b" }, { version: "1.0" })), /\nk:a:b\n/);
  assert.throws(() => commands.send(""), isProtocolError(/destination/));
  assert.throws(() => commands.send("/queue/a", "", {}, { transaction: "" }), isProtocolError(/transaction/));
  assert.throws(
    () => commands.send("/queue/a", "", {}, { version: "2.0" as StompVersion }),
    isProtocolError(/2\.0/),
  );
});

Deno.test("send: content-length added for a body with NUL, checked when given", () => {
  const body = new Uint8Array([1, 0, 2]);
  assert.equal(commands.send("/queue/a", body).headers["content-length"], "3");
  assert.equal(commands.send("/queue/a", "text").headers["content-length"], undefined);
  assert.equal(commands.send("/queue/a", "hé", { "content-length": "3" }).headers["content-length"], "3");
  assert.throws(
    () => commands.send("/queue/a", "hé", { "content-length": 2 }),
    isProtocolError(/content-length/),
  );
  assert.throws(
    () => commands.send("/queue/a", "x", { "content-length": "x" }),
    isProtocolError(/content-length/),
  );
});

Deno.test("subscribe: tokens per version, id required in 1.1+, ack modes by version", () => {
  const { frame, token } = commands.subscribe("bla1", { bla2: "bla3" }, "4711", "1.0");
  assert.deepEqual(headersOf(frame), { bla2: "bla3", destination: "bla1", receipt: "4711" });
  assert.equal(token, "destination:bla1");
  assert.equal(commands.subscribe("bla2", { id: "bla2", bla3: "bla4" }, undefined, "1.0").token, "id:bla2");
  for (const v of ["1.1", "1.2"] as const) {
    assert.throws(
      () => commands.subscribe("bla1", { bla2: "bla3" }, undefined, v),
      isProtocolError(/id header/),
    );
    const s = commands.subscribe("/queue/a", { id: 4711, ack: "client-individual" }, undefined, v);
    assert.equal(s.token, "id:4711");
    assert.equal(s.frame.version, v);
  }
  assert.throws(
    () => commands.subscribe("/queue/a", { ack: "client-individual" }, undefined, "1.0"),
    isProtocolError(/ack mode/),
  );
  assert.throws(
    () => commands.subscribe("/queue/a", { id: "s", ack: "sometimes" }, undefined, "1.2"),
    isProtocolError(/ack mode/),
  );
  assert.throws(() => commands.subscribe("/queue/a", { id: "" }, undefined, "1.2"), isProtocolError(/empty/));
  // header pairs work too; repeats are kept in order
  const pairs = commands.subscribe("/queue/a", [["id", "s1"], ["x", "1"], ["x", "2"]]).frame;
  assert.deepEqual(pairs.rawHeaders, [["id", "s1"], ["x", "1"], ["x", "2"], ["destination", "/queue/a"]]);
});

Deno.test("unsubscribe: by token or subscription; 1.0 may use the destination", () => {
  assert.deepEqual(headersOf(commands.unsubscribe("id:s1", "r", "1.2")), { id: "s1", receipt: "r" });
  assert.deepEqual(headersOf(commands.unsubscribe("destination:/queue/a", undefined, "1.0")), {
    destination: "/queue/a",
  });
  assert.deepEqual(headersOf(commands.unsubscribe({ id: "s2", destination: "/queue/a" }, undefined, "1.1")), {
    id: "s2",
  });
  assert.deepEqual(headersOf(commands.unsubscribe({ destination: "/queue/a" }, undefined, "1.0")), {
    destination: "/queue/a",
  });
  for (const v of ["1.1", "1.2"] as const) {
    assert.throws(
      () => commands.unsubscribe("destination:/queue/a", undefined, v),
      isProtocolError(/id is required/),
    );
  }
  assert.throws(() => commands.unsubscribe("s1" as never), isProtocolError(/not a subscription token/));
  assert.throws(() => commands.unsubscribe({}), isProtocolError(/not a subscription token/));
});

Deno.test("ack: the header matrix of 1.0, 1.1 and 1.2", () => {
  const full = { "message-id": "hi", subscription: "there", ack: "4711", destination: "/queue/a", x: "y" };
  assert.deepEqual(headersOf(commands.ack(message(full, "1.0"))), { "message-id": "hi" });
  assert.deepEqual(headersOf(commands.ack(message(full, "1.1"))), {
    "message-id": "hi",
    subscription: "there",
  });
  assert.deepEqual(headersOf(commands.ack(message(full, "1.2"))), { id: "4711" });
  // the version argument wins over the message's
  assert.deepEqual(headersOf(commands.ack(message(full, "1.0"), {}, "1.2")), { id: "4711" });
  assert.equal(commands.ack(message(full, "1.0"), {}, "1.2").version, "1.2");
  // missing headers
  assert.throws(() => commands.ack(message({ subscription: "hi" }, "1.0")), isProtocolError(/message-id/));
  assert.throws(() => commands.ack(message({ subscription: "hi" }, "1.1")), isProtocolError(/message-id/));
  assert.throws(() => commands.ack(message({ "message-id": "hi" }, "1.1")), isProtocolError(/subscription/));
  assert.throws(() => commands.ack(message({ "message-id": "hi" }, "1.2")), isProtocolError(/ack header/));
  assert.throws(
    () => commands.ack(message({ "message-id": "hi", subscription: "there" }, "1.2")),
    isProtocolError(/ack/),
  );
  // only MESSAGE frames
  for (const v of ["1.0", "1.1"] as const) {
    assert.throws(
      () => commands.ack(new StompFrame("CONNECTED", { "message-id": "hi" }, undefined, v)),
      isProtocolError(/MESSAGE/),
    );
  }
  assert.deepEqual(headersOf(commands.ack(message({ "message-id": "hi" }), { receipt: "4711" })), {
    "message-id": "hi",
    receipt: "4711",
  });
});

Deno.test("ack: the message's transaction is copied only when active", () => {
  const m = message({ "message-id": "hi", subscription: "there", transaction: "man", "4711": "0815" }, "1.1");
  const base = { "message-id": "hi", subscription: "there" };
  assert.deepEqual(headersOf(commands.ack(m)), base);
  assert.deepEqual(headersOf(commands.ack(m, { transactions: ["woman"] })), base);
  assert.deepEqual(headersOf(commands.ack(m, { transactions: ["man", "woman"] })), {
    ...base,
    transaction: "man",
  });
  assert.deepEqual(headersOf(commands.ack(m, { transactions: new Set(["man"]), receipt: "4711" })), {
    ...base,
    transaction: "man",
    receipt: "4711",
  });
  // an explicit transaction wins
  assert.deepEqual(headersOf(commands.ack(m, { transaction: "other", transactions: ["man"] })), {
    ...base,
    transaction: "other",
  });
  const m12 = message({ "message-id": "hi", ack: "a1", transaction: "man" }, "1.2");
  assert.deepEqual(headersOf(commands.ack(m12, { transactions: ["man"] })), { id: "a1", transaction: "man" });
});

Deno.test("nack: same matrix, refused in 1.0", () => {
  const m = (h: Record<string, string>) => message(h, "1.1");
  const base = { "message-id": "hi", subscription: "there" };
  const nack = commands.nack(m(base));
  assert.ok(nack.equals(new StompFrame("NACK", base, undefined, "1.1")));
  assert.equal(nack.version, "1.1");
  assert.deepEqual(headersOf(commands.nack(m(base), { receipt: "4711" })), { ...base, receipt: "4711" });
  assert.deepEqual(headersOf(commands.nack(m({ ...base, transaction: "man" }))), base);
  assert.deepEqual(
    headersOf(commands.nack(m({ ...base, transaction: "man" }), { transactions: ["woman"] })),
    base,
  );
  assert.deepEqual(headersOf(commands.nack(m({ ...base, transaction: "man" }), { transactions: ["man"] })), {
    ...base,
    transaction: "man",
  });
  assert.deepEqual(headersOf(commands.nack(m({ ...base, "4711": "0815" }))), base);
  assert.deepEqual(headersOf(commands.nack(message({ ...base, ack: "a" }, "1.2"))), { id: "a" });
  assert.throws(
    () => commands.nack(new StompFrame("CONNECTED", {}, undefined, "1.1")),
    isProtocolError(/MESSAGE/),
  );
  assert.throws(
    () => commands.nack(message(base, "1.0")),
    isProtocolError(/NACK does not exist in STOMP 1\.0/),
  );
  assert.throws(
    () => commands.nack(message({ ...base, transaction: "man" }, "1.0")),
    isProtocolError(/NACK/),
  );
  assert.throws(() => commands.nack(m({ subscription: "hi" })), isProtocolError(/message-id/));
  assert.throws(() => commands.nack(m({ "message-id": "hi" })), isProtocolError(/subscription/));
});

Deno.test("begin, commit, abort: transaction header, optional receipt", () => {
  for (
    const [fn, command] of [[commands.begin, "BEGIN"], [commands.commit, "COMMIT"], [
      commands.abort,
      "ABORT",
    ]] as const
  ) {
    assert.ok(fn("tx").equals(new StompFrame(command, { transaction: "tx" })));
    assert.ok(fn("tx", "r").equals(new StompFrame(command, { transaction: "tx", receipt: "r" })));
    assert.equal(fn("tx", undefined, "1.1").version, "1.1");
    assert.throws(() => fn(""), isProtocolError(/transaction/));
    assert.throws(() => fn(undefined as unknown as string), isProtocolError(/transaction/));
  }
});

Deno.test("beat: the heart-beat instance, refused in 1.0", () => {
  assert.equal(commands.beat("1.1"), StompHeartBeat.INSTANCE);
  assert.equal(commands.beat(), StompHeartBeat.INSTANCE);
  assert.throws(() => commands.beat("1.0"), isProtocolError(/heart-beating/));
});

Deno.test("connected: version negotiation", () => {
  const c = (h: Record<string, string>) => new StompFrame("CONNECTED", h);
  assert.deepEqual(commands.connected(c({ session: "hi" }), ["1.0"]), {
    version: "1.0",
    server: undefined,
    session: "hi",
    heartBeat: [0, 0],
  });
  assert.deepEqual(commands.connected(c({}), ["1.0"]), {
    version: "1.0",
    server: undefined,
    session: undefined,
    heartBeat: [0, 0],
  });
  assert.equal(commands.connected(c({ session: "hi" }), ["1.0", "1.1"]).version, "1.0");
  assert.equal(commands.connected(c({ session: "hi" })).version, "1.0");
  assert.throws(
    () => commands.connected(c({ session: "hi" }), ["1.1"]),
    isProtocolError(/no version header/),
  );
  assert.throws(
    () => commands.connected(new StompFrame("MESSAGE", {}), ["1.0"]),
    isProtocolError(/CONNECTED/),
  );
  assert.throws(
    () => commands.connected(new StompFrame("MESSAGE", {}), ["1.1"]),
    isProtocolError(/CONNECTED/),
  );
  assert.deepEqual(commands.connected(c({ session: "hi", version: "1.1" }), ["1.1"]), {
    version: "1.1",
    server: undefined,
    session: "hi",
    heartBeat: [0, 0],
  });
  assert.deepEqual(commands.connected(c({ server: "moon", version: "1.1" }), ["1.0", "1.1"]), {
    version: "1.1",
    server: "moon",
    session: undefined,
    heartBeat: [0, 0],
  });
  assert.equal(commands.connected(c({ version: "1.0" }), ["1.0"]).version, "1.0");
  assert.throws(
    () => commands.connected(c({ version: "1.2" }), ["1.0", "1.1"]),
    isProtocolError(/not one of those offered/),
  );
  assert.throws(() => commands.connected(c({ version: "1.1" }), ["1.0"]), isProtocolError(/1\.1/));
  assert.throws(() => commands.connected(c({ version: "2.0" })), isProtocolError(/2\.0/));
});

Deno.test("connected: heart-beat parsing", () => {
  const c = (version: string, hb: string) =>
    commands.connected(new StompFrame("CONNECTED", { session: "hi", version, "heart-beat": hb }), [
      "1.0",
      "1.1",
      "1.2",
    ]);
  assert.deepEqual(c("1.1", "1,2").heartBeat, [1, 2]);
  assert.deepEqual(c("1.2", "0,500").heartBeat, [0, 500]);
  assert.deepEqual(c("1.0", "1,2").heartBeat, [0, 0]); // no heart-beating in 1.0: ignored
  for (
    const hb of [
      "-1,0",
      "0,-1",
      "-1,-1",
      "2",
      ",",
      ",2",
      "2,",
      "a,b",
      "1,2,3",
      "",
      "1.5,2",
      "99999999999999999999,0",
    ]
  ) {
    assert.throws(() => c("1.1", hb), isProtocolError(/heart-beat/), hb);
  }
});

Deno.test("negotiateHeartBeat: the table", () => {
  const table: [[number, number], [number, number], number, number][] = [
    [[0, 0], [0, 0], 0, 0],
    [[0, 1], [1, 0], 0, 1],
    [[1, 0], [0, 1], 1, 0],
    [[1, 2], [3, 4], 4, 3],
    [[4, 3], [2, 1], 4, 3],
    [[1000, 0], [0, 5000], 5000, 0],
    [[0, 1000], [5000, 0], 0, 5000],
    [[1000, 1000], [0, 0], 0, 0],
    [[0, 0], [1000, 1000], 0, 0],
    [[100, 200], [300, 50], 100, 300],
  ];
  for (const [client, server, clientHeartBeat, serverHeartBeat] of table) {
    assert.deepEqual(
      commands.negotiateHeartBeat(client, server),
      { clientHeartBeat, serverHeartBeat },
      `${client} ${server}`,
    );
  }
});

Deno.test("message: the token by version", () => {
  assert.equal(commands.message(message({ destination: "bla1", "message-id": "4711" })), "destination:bla1");
  assert.equal(
    commands.message(message({ subscription: "bla2", destination: "bla2", "message-id": "4711" })),
    "id:bla2",
  );
  assert.equal(
    commands.message(message({ subscription: "s", destination: "d", "message-id": "m" }, "1.2")),
    "id:s",
  );
  const noSubscription = message({ destination: "/queue/test", "message-id": "007" }, "1.1");
  assert.throws(
    () => commands.message(noSubscription),
    isProtocolError(/subscription header \(required in STOMP 1\.1\)/),
  );
  assert.equal(commands.message(noSubscription, "1.0"), "destination:/queue/test");
  assert.throws(() => commands.message(message({ destination: "d" })), isProtocolError(/message-id/));
  assert.throws(() => commands.message(message({ "message-id": "m" })), isProtocolError(/destination/));
  assert.throws(
    () => commands.message(new StompFrame("RECEIPT", { "receipt-id": "r" })),
    isProtocolError(/MESSAGE/),
  );
});

Deno.test("receipt and error", () => {
  assert.equal(commands.receipt(new StompFrame("RECEIPT", { "receipt-id": "r1" })), "r1");
  assert.throws(() => commands.receipt(new StompFrame("RECEIPT", {})), isProtocolError(/receipt-id/));
  assert.throws(
    () => commands.receipt(new StompFrame("MESSAGE", { "receipt-id": "r1" })),
    isProtocolError(/RECEIPT/),
  );
  const frame = new StompFrame("ERROR", { message: "Invalid destination" }, "details");
  const e = commands.error(frame);
  assert.ok(e instanceof StompProtocolError);
  assert.equal(e.frame, frame);
  assert.match(e.message, /Invalid destination/);
  assert.match(commands.error(new StompFrame("ERROR", {}, "first line\nsecond")).message, /first line$/);
  assert.match(commands.error(new StompFrame("ERROR")).message, /no message/);
  assert.throws(() => commands.error(new StompFrame("RECEIPT")), isProtocolError(/ERROR/));
});

Deno.test("parseHeartBeat and tokenHeader", () => {
  assert.deepEqual(commands.parseHeartBeat("10,20"), [10, 20]);
  assert.throws(() => commands.parseHeartBeat(" "), isProtocolError());
  assert.deepEqual(commands.tokenHeader("id:a:b"), ["id", "a:b"]);
  assert.deepEqual(commands.tokenHeader("destination:/queue/a"), ["destination", "/queue/a"]);
  assert.deepEqual(commands.tokenHeader({ destination: "/queue/a" }), ["destination", "/queue/a"]);
});
