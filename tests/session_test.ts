import assert from "node:assert/strict";
import * as commands from "../src/protocol/commands.ts";
import { StompProtocolError } from "../src/protocol/protocol_error.ts";
import { StompFrame, StompHeartBeat } from "../src/protocol/frame.ts";
import { SessionState, StompSession } from "../src/protocol/session.ts";
import type { StompVersion } from "../src/protocol/spec.ts";
import { StompFrameError } from "../src/errors.ts";
import { closeConfirmsDisconnect } from "../src/protocol/broker_quirks.ts";

const isProtocolError = (pattern?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof StompProtocolError, `expected StompProtocolError, got ${e}`);
  if (pattern) assert.match(e.message, pattern);
  return true;
};
const sameFrame = (a: StompFrame, b: StompFrame) => {
  assert.equal(a.command, b.command);
  assert.deepEqual(a.rawHeaders, b.rawHeaders);
  assert.equal(a.version, b.version);
};
const connectedFrame = (headers: Record<string, string> = {}) => new StompFrame("CONNECTED", headers);
const messageFrame = (headers: Record<string, string>, version: StompVersion = "1.0") =>
  new StompFrame("MESSAGE", headers, "body", version);

/** A session connected at `version`, with the version header the broker would send. */
function connectedSession<C = unknown>(version: StompVersion, extra: Record<string, string> = {}) {
  const session = new StompSession<C>({ version });
  session.connect({ host: "/" });
  session.connected(connectedFrame(version === "1.0" ? { ...extra } : { version, ...extra }));
  return session;
}

Deno.test("session init: default version, check on by default, off on request", () => {
  const unchecked = new StompSession({ check: false, version: "1.0" });
  unchecked.send("/queue/a", "", {});
  const { token } = unchecked.subscribe("bla1", { bla2: "bla3" });
  unchecked.unsubscribe(token);

  const session = new StompSession();
  assert.equal(session.version, "1.2");
  assert.equal(session.state, SessionState.DISCONNECTED);
  assert.throws(() => session.send("/queue/a", "", {}), isProtocolError(/cannot send in state disconnected/));
  assert.throws(() => session.subscribe("bla1", { id: "x" }), isProtocolError(/cannot subscribe/));
  assert.throws(() => session.unsubscribe("destination:bla1"), isProtocolError(/cannot unsubscribe/));
  assert.throws(() => session.disconnect(), isProtocolError(/cannot disconnect/));
  assert.throws(
    () => session.connected(connectedFrame()),
    isProtocolError(/CONNECTED in state disconnected/),
  );
  assert.throws(() => session.beat(), isProtocolError(/cannot beat/));

  assert.equal(new StompSession({ version: "1.1" }).version, "1.1");
});

Deno.test("session init: a bad version is a StompProtocolError with a cause", () => {
  assert.throws(
    () => new StompSession({ version: "1.3" as StompVersion }),
    (e) => isProtocolError(/1\.3/)(e) && (e as Error).cause instanceof TypeError,
  );
});

Deno.test("session connect: 1.0", () => {
  const session = new StompSession({ version: "1.0", check: false });
  assert.equal(session.version, "1.0");
  for (const value of [session.server, session.id, session.lastSent, session.lastReceived]) {
    assert.equal(value, undefined);
  }
  assert.equal(session.clientHeartBeat, 0);
  assert.equal(session.serverHeartBeat, 0);
  const frame = session.connect({ login: "", passcode: "" });
  assert.equal(session.state, StompSession.CONNECTING);
  sameFrame(frame, commands.connect({ login: "", passcode: "", versions: ["1.0"] }));
  session.connected(connectedFrame({ session: "hi" }));
  assert.equal(session.state, StompSession.CONNECTED);
  assert.equal(session.version, "1.0");
  assert.equal(session.server, undefined);
  assert.equal(session.id, "hi");
  sameFrame(session.disconnect(), commands.disconnect(undefined, "1.0"));
  assert.equal(session.state, StompSession.DISCONNECTING);
  session.close();
  assert.equal(session.server, undefined);
  assert.equal(session.id, undefined);
  assert.equal(session.state, StompSession.DISCONNECTED);
  assert.throws(() => session.connect({ versions: ["1.1"], host: "/" }), isProtocolError(/up to 1\.0/));
});

Deno.test("session connect: 1.1 negotiated, then 1.0 fallback when CONNECTED has no version", () => {
  const session = new StompSession({ version: "1.1" });
  assert.equal(session.version, "1.1");
  const frame = session.connect({ login: "", passcode: "", host: "/" });
  sameFrame(frame, commands.connect({ login: "", passcode: "", versions: ["1.0", "1.1"], host: "/" }));
  assert.equal(session.state, StompSession.CONNECTING);
  const info = session.connected(connectedFrame({ server: "moon", session: "4711", version: "1.1" }));
  assert.deepEqual(info, { version: "1.1", server: "moon", session: "4711", heartBeat: [0, 0] });
  assert.equal(session.state, StompSession.CONNECTED);
  assert.equal(session.server, "moon");
  assert.equal(session.id, "4711");
  assert.equal(session.version, "1.1");
  sameFrame(session.disconnect("4711"), commands.disconnect("4711", "1.1"));
  session.close();
  assert.equal(session.server, undefined);
  assert.equal(session.id, undefined);
  assert.equal(session.state, StompSession.DISCONNECTED);

  session.connect({ versions: ["1.0", "1.1"], host: "/" });
  assert.equal(session.version, "1.1"); // not negotiated yet: the highest allowed
  session.connected(connectedFrame({ session: "4711" }));
  assert.equal(session.state, StompSession.CONNECTED);
  assert.equal(session.server, undefined);
  assert.equal(session.id, "4711");
  assert.equal(session.version, "1.0");
  sameFrame(session.disconnect(), commands.disconnect(undefined, "1.0"));
  assert.equal(session.version, "1.0"); // still the negotiated one until close
  session.close();
  assert.equal(session.version, "1.1");
});

Deno.test("session connect: a version not offered is refused", () => {
  const session = new StompSession({ version: "1.1" });
  sameFrame(
    session.connect({ versions: ["1.1"], host: "/" }),
    commands.connect({ versions: ["1.1"], host: "/" }),
  );
  assert.throws(
    () => session.connected(connectedFrame({ session: "4711" })),
    isProtocolError(/no version header/),
  );
  assert.equal(session.state, StompSession.CONNECTING);
  session.close();
  session.connect({ versions: ["1.1"], host: "/" });
  assert.throws(
    () => session.connected(connectedFrame({ version: "1.2" })),
    isProtocolError(/not one of those offered/),
  );
  session.close();
  assert.throws(
    () => session.connect({ versions: ["1.2"], host: "/" }),
    isProtocolError(/cannot offer STOMP 1\.2/),
  );
  assert.equal(session.state, StompSession.DISCONNECTED);
  // an offer defaults to every version allowed; no host is invented for 1.1+
  assert.throws(() => session.connect(), isProtocolError(/host/));
  assert.equal(session.state, StompSession.DISCONNECTED);
});

Deno.test("session connect: the STOMP command", () => {
  const session = new StompSession();
  const frame = session.connect({ host: "/", command: "STOMP" });
  assert.equal(frame.command, "STOMP");
  assert.equal(frame.headers["accept-version"], "1.0,1.1,1.2");
  const old = new StompSession({ version: "1.0" });
  assert.throws(() => old.connect({ command: "STOMP" }), isProtocolError(/STOMP does not exist/));
  assert.equal(old.state, StompSession.DISCONNECTED);
});

Deno.test("session heart-beats: negotiated in 1.1+, none in 1.0, reset on close", () => {
  const session = new StompSession({ version: "1.1", check: false });
  session.connect({ versions: ["1.1"], host: "/" });
  session.connected(connectedFrame({ server: "moon", session: "4711", version: "1.1" }));
  assert.equal(session.clientHeartBeat, 0);
  assert.equal(session.serverHeartBeat, 0);
  session.disconnect("4711");
  session.close();

  const frame = session.connect({ versions: ["1.1"], host: "/", heartBeats: [1, 2] });
  sameFrame(frame, commands.connect({ versions: ["1.1"], host: "/", heartBeats: [1, 2] }));
  session.connected(connectedFrame({ version: "1.1", "heart-beat": "3,4" }));
  assert.equal(session.clientHeartBeat, 4);
  assert.equal(session.serverHeartBeat, 3);
  session.disconnect();
  session.close();
  assert.equal(session.clientHeartBeat, 0);
  assert.equal(session.serverHeartBeat, 0);

  session.connect({ versions: ["1.0", "1.1"], host: "/", heartBeats: [1, 2] });
  session.connected(connectedFrame({ session: "4711", "heart-beat": "3,4" })); // 1.0: ignored
  assert.equal(session.clientHeartBeat, 0);
  assert.equal(session.serverHeartBeat, 0);
  session.close();

  // a heart-beat header among the extra connect headers counts too
  session.connect({ versions: ["1.1"], host: "/", headers: { "heart-beat": "0,1000" } });
  session.connected(connectedFrame({ version: "1.1", "heart-beat": "500,0" }));
  assert.equal(session.clientHeartBeat, 0);
  assert.equal(session.serverHeartBeat, 1000);
  session.close();

  session.connect({ versions: ["1.1"], host: "/" });
  assert.throws(
    () => session.connected(connectedFrame({ version: "1.1", "heart-beat": "-1,0" })),
    isProtocolError(),
  );
});

Deno.test("session heart-beats: sent/received with an injected clock; beat by version", () => {
  let now = 1000;
  const session = new StompSession({ version: "1.2", clock: () => now });
  assert.equal(session.lastSent, undefined);
  assert.equal(session.lastReceived, undefined);
  session.sent();
  now = 1500;
  session.received();
  assert.equal(session.lastSent, 1000);
  assert.equal(session.lastReceived, 1500);
  session.connect({ host: "/" });
  session.connected(connectedFrame({ version: "1.2" }));
  assert.equal(session.beat(), StompHeartBeat.INSTANCE);
  session.disconnect();
  assert.equal(session.beat(), StompHeartBeat.INSTANCE); // still alive while waiting for the receipt
  session.close();
  assert.equal(session.lastSent, undefined);
  assert.equal(session.lastReceived, undefined);

  assert.throws(() => connectedSession("1.0").beat(), isProtocolError(/heart-beating/));
  const fallback = new StompSession({ version: "1.2" });
  fallback.connect({ host: "/" });
  fallback.connected(connectedFrame());
  assert.throws(() => fallback.beat(), isProtocolError(/heart-beating/));
});

Deno.test("session subscribe (1.0): tokens, replay order, duplicates, flush", () => {
  const session = new StompSession({ version: "1.0", check: false });
  const headers = { bla2: "bla3" };
  const { frame, token } = session.subscribe("bla1", headers, { receipt: "4711" });
  const expected = commands.subscribe("bla1", headers, "4711", "1.0");
  sameFrame(frame, expected.frame);
  assert.equal(token, expected.token);
  assert.equal(token, "destination:bla1");
  assert.equal(token, commands.message(messageFrame({ destination: "bla1", "message-id": "4711" })));

  const headersWithId1 = { id: "bla2", bla3: "bla4" };
  const s1 = session.subscribe("bla2", headersWithId1);
  sameFrame(s1.frame, commands.subscribe("bla2", headersWithId1, undefined, "1.0").frame);
  assert.equal(s1.token, "id:bla2");
  assert.equal(
    s1.token,
    commands.message(messageFrame({ subscription: "bla2", destination: "bla2", "message-id": "4711" })),
  );

  const headersWithId2 = { id: "bla3", bla4: "bla5" };
  session.subscribe("bla2", headersWithId2);

  const pick = (subs: { destination: string; headers: unknown; receipt?: string; context: unknown }[]) =>
    subs.map(({ destination, headers, receipt, context }) => [destination, headers, receipt, context]);
  const subscriptions = session.replay();
  assert.deepEqual(pick(subscriptions), [
    ["bla1", headers, "4711", undefined],
    ["bla2", headersWithId1, undefined, undefined],
    ["bla2", headersWithId2, undefined, undefined],
  ]);
  assert.deepEqual(session.replay(), []);

  const context = { handler: "x" };
  session.subscribe("bla2", headersWithId2, { context });
  assert.deepEqual(pick(session.replay()), [["bla2", headersWithId2, undefined, context]]);
  session.subscribe("bla2", headersWithId2);
  assert.throws(
    () => session.subscribe("bla2", headersWithId2),
    isProtocolError(/already subscribed: id:bla3/),
  );
  assert.deepEqual(pick(session.replay()), [["bla2", headersWithId2, undefined, undefined]]);
  session.subscribe("bla2", headersWithId2);
  session.disconnect();
  session.close({ flush: false });
  assert.deepEqual(pick(session.replay()), [["bla2", headersWithId2, undefined, undefined]]);
  session.subscribe("bla2", headersWithId2);
  session.close({ flush: true });
  assert.deepEqual(session.replay(), []);

  const withoutId1 = [["bla1", headers, undefined, undefined], [
    "bla2",
    headersWithId2,
    undefined,
    undefined,
  ]];
  const s = subscriptions.map(({ destination, headers }) => session.subscribe(destination, headers));
  session.unsubscribe(s[1].token);
  assert.deepEqual(pick(session.replay()), withoutId1);

  const s2 = [session.subscribe("bla1", headers), session.subscribe("bla2", headersWithId2)];
  session.unsubscribe(s2[0].token);
  assert.deepEqual(pick(session.replay()), [["bla2", headersWithId2, undefined, undefined]]);
});

Deno.test("session subscribe: headers are copied", () => {
  const session = connectedSession("1.2");
  const headers: Record<string, string> = { id: "s1", ack: "client" };
  const { token } = session.subscribe("/queue/a", headers);
  headers.ack = "auto";
  assert.deepEqual(session.subscription(token)?.headers, { id: "s1", ack: "client" });
  const pairs: [string, string][] = [["id", "s2"]];
  const second = session.subscribe("/queue/b", pairs);
  pairs[0][1] = "changed";
  assert.deepEqual(session.subscription(second.token)?.headers, [["id", "s2"]]);
});

Deno.test("session unsubscribe: unknown or already gone is an error; 1.1+ needs an id", () => {
  const session = connectedSession("1.0");
  session.subscribe("bla1", { bla2: "bla3" });
  assert.throws(() => session.unsubscribe("id:blub"), isProtocolError(/no such subscription: id:blub/));
  assert.throws(() => session.unsubscribe("bla:blub" as never), isProtocolError(/not a subscription token/));
  const { token } = session.subscribe("bla2", { id: "bla2" });
  session.subscribe("bla2", { id: "bla3" });
  session.unsubscribe(token);
  assert.throws(() => session.unsubscribe(token), isProtocolError(/no such subscription/));

  const s11 = connectedSession("1.1");
  assert.throws(() => s11.unsubscribe("destination:bla1"), isProtocolError(/id is required/));
  const a = s11.subscribe("bla2", { id: "bla2" });
  const b = s11.subscribe("bla2", { id: "bla3" });
  s11.unsubscribe(a.token);
  assert.throws(() => s11.unsubscribe(a.token), isProtocolError(/no such subscription/));
  // a subscription record works as well as its token
  const frame = s11.unsubscribe(s11.subscription(b.token)!, "r1");
  assert.deepEqual({ ...frame.headers }, { id: "bla3", receipt: "r1" });
  assert.deepEqual(s11.replay(), []);
});

Deno.test("session subscribe (1.1+): an id is generated and kept for replay", () => {
  for (const version of ["1.1", "1.2"] as const) {
    const session = connectedSession(version);
    const { frame, token } = session.subscribe("/queue/a", { ack: "client" });
    const id = frame.headers.id;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(token, `id:${id}`);
    const other = session.subscribe("/queue/a", { ack: "client" });
    assert.notEqual(other.token, token); // same destination, distinct subscriptions
    assert.equal(session.subscription(token)?.id, id);
    session.close({ flush: false });

    session.connect({ host: "/" });
    session.connected(connectedFrame({ version }));
    const replayed = session.replay().map((s) => session.subscribe(s.destination, s.headers, s));
    assert.deepEqual(replayed.map((r) => r.token), [token, other.token]);
    assert.equal(replayed[0].frame.headers.ack, "client");
  }
});

Deno.test("session message: returns the subscription context; unknown subscription is an error", () => {
  const session = connectedSession<string>("1.2");
  session.subscribe("/queue/a", { id: "s1" }, { context: "A" });
  session.subscribe("/queue/b", { id: "s2" }, { context: "B" });
  const m = (subscription: string) =>
    messageFrame({ subscription, destination: "/queue/x", "message-id": "m", ack: "a" }, "1.2");
  assert.equal(session.message(m("s1")), "A");
  assert.equal(session.message(m("s2")), "B");
  assert.throws(() => session.message(m("s3")), isProtocolError(/no active subscription \(id:s3\)/));
  assert.deepEqual([...session].map((s) => s.context), ["A", "B"]);

  // 1.0: a destination-keyed subscription still matches when the broker adds a subscription header
  const old = connectedSession<string>("1.0");
  old.subscribe("/queue/a", {}, { context: "D" });
  assert.equal(old.message(messageFrame({ destination: "/queue/a", "message-id": "m" })), "D");
  assert.equal(
    old.message(messageFrame({ destination: "/queue/a", subscription: "x", "message-id": "m" })),
    "D",
  );
  assert.throws(
    () => old.message(messageFrame({ destination: "/queue/b", "message-id": "m" })),
    isProtocolError(),
  );

  // messages may still arrive while disconnecting, not after close
  session.disconnect();
  assert.equal(session.message(m("s1")), "A");
  session.close();
  assert.throws(() => session.message(m("s1")), isProtocolError(/state disconnected/));
});

Deno.test("session disconnect: keeps subscriptions with flush false, refuses a second disconnect", () => {
  const session = new StompSession({ version: "1.1" });
  session.connect({ login: "", passcode: "", host: "/" });
  session.connected(connectedFrame({ session: "hi" }));
  const headers = { id: 4711 };
  session.subscribe("bla", headers);
  sameFrame(session.disconnect("4711"), commands.disconnect("4711", "1.0"));
  assert.equal(session.state, StompSession.DISCONNECTING);
  session.close({ flush: false });
  assert.equal(session.state, StompSession.DISCONNECTED);
  const replay = session.replay();
  assert.deepEqual(replay.map((s) => [s.destination, s.headers, s.receipt, s.context]), [[
    "bla",
    headers,
    undefined,
    undefined,
  ]]);
  assert.deepEqual(session.replay(), []);
  assert.throws(() => session.disconnect(), isProtocolError(/cannot disconnect/));
});

Deno.test("session nack: per version and state", () => {
  const session = new StompSession({ version: "1.1", check: false });
  const m = (h: Record<string, string>) => messageFrame(h, "1.1");
  const variants: Record<string, string>[] = [
    { "message-id": "4711", subscription: "bla" },
    { "message-id": "4711", subscription: "bla", foo: "bar" },
  ];
  for (const headers of variants) {
    sameFrame(session.nack(m(headers)), commands.nack(m(headers)));
  }
  const headers = { "message-id": "4711", subscription: "bla" };
  sameFrame(session.nack(m(headers), { receipt: "4711" }), commands.nack(m(headers), { receipt: "4711" }));
  assert.throws(() => session.nack(m({})), isProtocolError());
  assert.throws(() => session.nack(m({ "message-id": "4711" })), isProtocolError(/subscription/));
  assert.throws(() => session.nack(m({ subscription: "bla" })), isProtocolError(/message-id/));

  assert.throws(() => new StompSession({ version: "1.1" }).nack(m(headers)), isProtocolError(/cannot nack/));
  assert.throws(
    () => connectedSession("1.0").nack(m(headers)),
    isProtocolError(/NACK does not exist in STOMP 1\.0/),
  );
  // the session's negotiated version decides the headers, not the frame's
  const s12 = connectedSession("1.2");
  assert.deepEqual({ ...s12.nack(m({ ...headers, ack: "a1" })).headers }, { id: "a1" });
});

Deno.test("session ack: the message's transaction is copied only while active", () => {
  const session = connectedSession("1.1");
  const tx = session.transaction("tx1");
  const m = messageFrame({ "message-id": "m", subscription: "s", transaction: tx }, "1.1");
  assert.equal(session.ack(m).headers.transaction, undefined);
  session.begin(tx);
  assert.equal(session.ack(m).headers.transaction, tx);
  assert.equal(session.nack(m).headers.transaction, tx);
  session.commit(tx);
  assert.equal(session.ack(m).headers.transaction, undefined);
  assert.throws(() => session.ack(m, { transaction: tx }), isProtocolError(/not active/));
  session.begin("tx2");
  assert.equal(session.ack(m, { transaction: "tx2" }).headers.transaction, "tx2");
});

Deno.test("session transactions: begin, commit, abort and their errors", () => {
  const session = new StompSession({ version: "1.0", check: false });
  const transaction = session.transaction();
  assert.match(transaction, /^[0-9a-f-]{36}$/);
  assert.notEqual(session.transaction(), transaction);
  const frame = session.begin(transaction, "bla");
  sameFrame(frame, commands.begin(transaction, "bla", "1.0"));
  assert.deepEqual({ ...frame.headers }, { transaction, receipt: "bla" });
  assert.throws(() => session.begin(transaction), isProtocolError(/already active/));
  sameFrame(session.abort(transaction), commands.abort(transaction, undefined, "1.0"));
  assert.throws(() => session.abort(transaction), isProtocolError(/not active/));
  assert.throws(() => session.commit(transaction), isProtocolError(/not active/));

  const fixed = session.transaction("4711");
  assert.equal(fixed, "4711");
  sameFrame(session.begin(fixed), new StompFrame("BEGIN", { transaction: "4711" }, undefined, "1.0"));
  assert.deepEqual([...session.transactions], ["4711"]);
  sameFrame(session.commit(fixed), new StompFrame("COMMIT", { transaction: "4711" }, undefined, "1.0"));
  assert.throws(() => session.commit(fixed), isProtocolError(/not active/));
  assert.throws(() => session.abort(fixed), isProtocolError(/not active/));
  assert.throws(() => session.transaction(""), isProtocolError());

  // begin without an id generates one: read it from the frame
  const generated = session.begin().headers.transaction;
  assert.ok(session.transactions.has(generated));
  // sending in an unknown transaction is refused; in an active one it is tagged
  assert.throws(
    () => session.send("/queue/a", "x", {}, { transaction: "nope" }),
    isProtocolError(/not active/),
  );
  assert.equal(session.send("/queue/a", "x", {}, { transaction: generated }).headers.transaction, generated);
  // close forgets transactions
  session.close();
  assert.equal(session.transactions.size, 0);

  const checked = new StompSession();
  assert.throws(() => checked.begin("4711"), isProtocolError(/cannot begin/));
  assert.throws(() => checked.abort("4711"), isProtocolError(/cannot abort/));
  assert.throws(() => checked.commit("4711"), isProtocolError(/cannot commit/));
});

Deno.test("session receipts: outstanding, duplicates, unexpected, reset on close", () => {
  const session = connectedSession("1.2");
  const receipt = (id: string) => new StompFrame("RECEIPT", { "receipt-id": id });
  session.send("/queue/a", "x", {}, { receipt: "r1" });
  assert.throws(
    () => session.send("/queue/a", "x", {}, { receipt: "r1" }),
    isProtocolError(/duplicate receipt/),
  );
  // a failed call leaves no trace: no subscription, no transaction
  assert.throws(
    () => session.subscribe("/queue/a", { id: "s" }, { receipt: "r1" }),
    isProtocolError(/duplicate/),
  );
  assert.equal(session.subscription("id:s"), undefined);
  assert.throws(() => session.begin("t", "r1"), isProtocolError(/duplicate/));
  assert.equal(session.transactions.size, 0);
  // a receipt header given among the extra headers is tracked too
  session.send("/queue/a", "x", { receipt: "r2" });
  session.subscribe("/queue/a", { id: "s" }, { receipt: "r3" });
  session.begin("t", "r4");
  session.ack(messageFrame({ ack: "a", "message-id": "m" }, "1.2"), { receipt: "r5" });
  session.unsubscribe("id:s", "r6");
  session.commit("t", "r7");
  assert.deepEqual([...session.receipts], ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]);
  assert.equal(session.receipt(receipt("r3")), "r3");
  assert.throws(() => session.receipt(receipt("r3")), isProtocolError(/unexpected RECEIPT "r3"/));
  assert.throws(() => session.receipt(receipt("zz")), isProtocolError(/unexpected RECEIPT/));
  // a receipt id is free again once its RECEIPT arrived
  session.send("/queue/a", "x", {}, { receipt: "r3" });
  session.disconnect("bye");
  assert.equal(session.receipt(receipt("bye")), "bye");
  session.close();
  assert.equal(session.receipts.size, 0);
  assert.throws(() => session.receipt(receipt("r1")), isProtocolError(/state disconnected/));
});

Deno.test("session state transitions", () => {
  const session = new StompSession({ version: "1.2" });
  const seen: string[] = [session.state];
  session.connect({ host: "/" });
  seen.push(session.state);
  assert.throws(() => session.connect({ host: "/" }), isProtocolError(/cannot connect in state connecting/));
  assert.throws(() => session.send("/queue/a"), isProtocolError(/connecting/));
  session.connected(connectedFrame({ version: "1.2", server: "srv", session: "id" }));
  seen.push(session.state);
  assert.throws(() => session.connected(connectedFrame({ version: "1.2" })), isProtocolError(/connected/));
  session.disconnect();
  seen.push(session.state);
  assert.throws(() => session.send("/queue/a"), isProtocolError(/disconnecting/));
  assert.throws(() => session.subscribe("/queue/a"), isProtocolError(/disconnecting/));
  session.close();
  seen.push(session.state);
  assert.deepEqual(seen, ["disconnected", "connecting", "connected", "disconnecting", "disconnected"]);
  // an ERROR can be turned into an error in any state
  const e = session.error(new StompFrame("ERROR", { message: "boom" }));
  assert.ok(e instanceof StompProtocolError);
  assert.match(e.message, /boom/);
});

Deno.test("session: on RabbitMQ a subscription id with ':' or '\\' is refused (it would break every message-id)", () => {
  const session = new StompSession();
  session.connect({ host: "/" });
  session.connected(new StompFrame("CONNECTED", { version: "1.2", server: "RabbitMQ/3.10.8" }));
  assert.throws(() => session.subscribe("/queue/a", { id: "sub:1" }), StompProtocolError);
  assert.throws(() => session.subscribe("/queue/a", { id: "sub\\1" }), StompProtocolError);
  assert.equal(session.subscribe("/queue/a", { id: "sub-1" }).token, "id:sub-1");
  const other = new StompSession();
  other.connect({ host: "/" });
  other.connected(new StompFrame("CONNECTED", { version: "1.2", server: "ActiveMQ/5.17.2" }));
  assert.equal(other.subscribe("/queue/a", { id: "sub:1" }).token, "id:sub:1");
});

/** `session` (a new one by default) connected to a broker that calls itself `server`. */
function connectedTo(server: string, session = new StompSession()): StompSession {
  session.connect({ host: "/" });
  session.connected(new StompFrame("CONNECTED", { version: "1.2", server }));
  return session;
}

Deno.test("session: on RabbitMQ a client-ack subscription may share its connection only with auto-ack ones", () => {
  const rabbit = () => connectedTo("RabbitMQ/3.10.8");
  // client after client-individual, client-individual after client, client after client: each refused,
  // and the refused subscription is neither remembered nor holding its receipt.
  for (
    const [first, second] of [["client-individual", "client"], ["client", "client-individual"], [
      "client",
      "client",
    ]]
  ) {
    const s = rabbit();
    s.subscribe("/queue/b", { id: "b", ack: first });
    assert.throws(
      () => s.subscribe("/queue/a", { id: "a", ack: second }, { receipt: "r-a" }),
      (e: unknown) =>
        e instanceof StompProtocolError && /every earlier message of the connection/.test(e.message),
    );
    assert.equal(s.subscription("id:a"), undefined);
    assert.ok(!s.receipts.has("r-a"));
  }
  // The first `ack` header is the one the broker reads.
  const s = rabbit();
  s.subscribe("/queue/b", [["id", "b"], ["ack", "client"], ["ack", "auto"]]);
  assert.throws(() => s.subscribe("/queue/a", { id: "a", ack: "client-individual" }), StompProtocolError);
  // Allowed: client beside auto (explicit or by default), and client-individual beside client-individual.
  const ok = rabbit();
  ok.subscribe("/queue/b", { id: "b" });
  ok.subscribe("/queue/c", { id: "c", ack: "auto" });
  ok.subscribe("/queue/a", { id: "a", ack: "client" });
  const individual = rabbit();
  individual.subscribe("/queue/b", { id: "b", ack: "client-individual" });
  individual.subscribe("/queue/a", { id: "a", ack: "client-individual" });
  // ActiveMQ settles a client ACK per subscription, as the spec says: nothing refused.
  const amq = connectedTo("ActiveMQ/5.17.2");
  amq.subscribe("/queue/b", { id: "b", ack: "client-individual" });
  amq.subscribe("/queue/a", { id: "a", ack: "client" });
  assert.ok(amq.subscription("id:a"));
});

Deno.test("session: on RabbitMQ an ended acking subscription still counts until the connection is new", () => {
  const s = new StompSession();
  const connect = (server: string) => connectedTo(server, s);
  connect("RabbitMQ/3.10.8");
  s.subscribe("/queue/b", { id: "b", ack: "client-individual" });
  s.unsubscribe("id:b");
  // UNSUBSCRIBE leaves b's unacked messages outstanding: a client ACK would settle them.
  assert.throws(
    () => s.subscribe("/queue/a", { id: "a", ack: "client" }),
    (e: unknown) =>
      e instanceof StompProtocolError && /ended: its unacked messages stay outstanding/.test(e.message),
  );
  s.close();
  connect("RabbitMQ/3.10.8");
  s.subscribe("/queue/c", { id: "c", ack: "auto" });
  s.unsubscribe("id:c"); // an ended auto subscription left nothing unacked
  s.subscribe("/queue/d", { id: "d", ack: "client" });
  s.forget("id:d"); // forgotten (no connection to send on) counts as ended as well
  assert.throws(() => s.subscribe("/queue/e", { id: "e", ack: "client-individual" }), StompProtocolError);
  // A new connection starts clean.
  s.close();
  connect("RabbitMQ/3.10.8");
  assert.ok(s.subscribe("/queue/a", { id: "a", ack: "client" }).token);
});

Deno.test("session: a replay the new broker refuses is refused whole, and every subscription is kept", () => {
  const s = new StompSession();
  const connect = (server: string) => connectedTo(server, s);
  connect("ActiveMQ/5.17.2");
  s.subscribe("/queue/b", { id: "b", ack: "client-individual" });
  s.subscribe("/queue/a", { id: "a", ack: "client" });
  s.subscribe("/queue/c", { id: "c" });
  s.close({ flush: false });
  connect("RabbitMQ/3.10.8"); // a failover to another kind of broker
  assert.throws(() => s.replay(), StompProtocolError);
  assert.deepEqual([...s].map((sub) => sub.id), ["b", "a", "c"]);
  s.close({ flush: false });
  connect("ActiveMQ/5.17.2");
  assert.deepEqual(s.replay().map((sub) => sub.id), ["b", "a", "c"]);
});

Deno.test("session 1.0: a header the broker would change or drop is refused before anything changes", () => {
  const rabbit = connectedSession("1.0", { server: "RabbitMQ/3.10.8" });
  for (const [i, value] of ["C:\\new", "a\\tb", "a\\\\b", " lead"].entries()) {
    assert.throws(
      () => rabbit.send("/queue/a", "x", { "x-v": value }, { receipt: `r-${i}` }),
      (e: unknown) =>
        e instanceof StompFrameError &&
        /cannot be sent to RabbitMQ over STOMP 1\.0: RabbitMQ /.test(e.message),
    );
  }
  // Nothing was remembered: the receipt ids are free, and a subscription was not kept.
  rabbit.send("/queue/a", "x", { "x-v": "a:b" }, { receipt: "r-0" });
  assert.throws(() => rabbit.subscribe("/queue/a", { selector: "x = '\\n'" }), StompFrameError);
  assert.deepEqual([...rabbit], []);
  const amq = connectedSession("1.0", { server: "ActiveMQ/5.17.2" });
  assert.throws(() => amq.send("/queue/a", "x", { "x-v": "trail " }), StompFrameError);
  amq.send("/queue/a", "x", { "x-v": "a\\tb" }); // ActiveMQ keeps what it does not decode
  // Other brokers, and 1.1+ (which escapes), are not concerned.
  connectedSession("1.0", { server: "Apollo/1.7" }).send("/queue/a", "x", { "x-v": "C:\\new" });
  connectedSession("1.1", { server: "RabbitMQ/3.10.8" }).send("/queue/a", "x", { "x-v": "C:\\new" });
});

Deno.test("broker quirks: a clean close stands for the DISCONNECT receipt only on RabbitMQ Web-STOMP", () => {
  assert.equal(closeConfirmsDisconnect("RabbitMQ/3.10.8", "ws"), true);
  assert.equal(closeConfirmsDisconnect("RabbitMQ/3.10.8", "wss"), true);
  assert.equal(closeConfirmsDisconnect("RabbitMQ/3.10.8", "tcp"), false);
  assert.equal(closeConfirmsDisconnect("ActiveMQ/5.17.2", "ws"), false);
  assert.equal(closeConfirmsDisconnect(undefined, "ws"), false);
});

Deno.test("late deliveries: RabbitMQ's ERROR for a subscription ended on this connection is recognised", () => {
  const rabbit = connectedTo("RabbitMQ/3.10.8");
  const { token } = rabbit.subscribe("/queue/a", { id: "s1" });
  const { token: kept } = rabbit.subscribe("/queue/b", { id: "s2" });
  const late = (tag: string, message = "Subscription not found") =>
    new StompFrame("ERROR", { message }, `There is no current subscription with tag '${tag}'.`);
  assert.equal(rabbit.lateDelivery(late("T_s1")), undefined, "s1 is still active: a real error");
  rabbit.unsubscribe(token);
  assert.equal(rabbit.lateDelivery(late("T_s1"))?.token, token);
  assert.equal(rabbit.endedSubscription(token)?.destination, "/queue/a");
  assert.equal(rabbit.lateDelivery(late("T_s2")), undefined, "s2 is active");
  assert.equal(rabbit.endedSubscription(kept), undefined);
  assert.equal(rabbit.lateDelivery(late("T_s1", "Something else")), undefined, "another message");
  assert.equal(rabbit.lateDelivery(late("X_s1")), undefined, "an unknown tag kind");
  // Another broker sending the same words is not trusted with it; a new connection forgets s1.
  const other = connectedTo("ActiveMQ/5.17.2");
  other.unsubscribe(other.subscribe("/queue/a", { id: "s1" }).token);
  assert.equal(other.lateDelivery(late("T_s1")), undefined);
  rabbit.close({ flush: false });
  assert.equal(rabbit.endedSubscription(token), undefined);
});

Deno.test("late deliveries: a 1.0 subscription without id is found by its destination tag", () => {
  const session = new StompSession({ version: "1.0", check: false });
  session.connect({});
  session.connected(new StompFrame("CONNECTED", { server: "RabbitMQ/3.10.8" }));
  const { token } = session.subscribe("/queue/x y");
  session.unsubscribe(token);
  const error = new StompFrame(
    "ERROR",
    { message: "Subscription not found" },
    "There is no current subscription with tag 'Q_/queue/x y'.",
  );
  assert.equal(session.lateDelivery(error)?.token, token);
});
