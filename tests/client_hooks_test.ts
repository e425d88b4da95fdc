// The production hooks against the in-process test broker and a scripted peer: the trace hook,
// beforeConnect (credentials per attempt), connectCommand, DISCONNECT headers, client.state with
// status() starting from it, and frames no one can route reported as `unhandled`.
import assert from "node:assert/strict";
import {
  AsyncStomp,
  Stomp,
  StompConfig,
  StompConnectionError,
  type StompConnector,
  StompConnectTimeout,
  StompFrame,
  StompParser,
  type StompTraceEvent,
} from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { memoryPair } from "../src/testing/pair.ts";
import { statusUntil } from "./helpers/status.ts";

const WAIT = { timeout: 5000 };

function frames(trace: StompTraceEvent[], direction: "in" | "out", command: string) {
  return trace.filter((e) =>
    e.type === "frame" && e.direction === direction && e.command === command
  ) as Extract<
    StompTraceEvent,
    { type: "frame" }
  >[];
}

Deno.test("trace: frames in and out with direction, command, redacted headers and body length", async () => {
  await using broker = new StompTestBroker({ users: { app: "s3cret" } });
  const trace: StompTraceEvent[] = [];
  const client = new AsyncStomp("tcp://test:1", {
    connector: broker.connector,
    login: "app",
    passcode: "s3cret",
    headers: { "x-api-key": "k-123", "client-id": "c1" },
    beforeConnect: () => ({ headers: { Authorization: "Bearer abc.def" } }),
    trace: (e) => trace.push(e),
  });
  await client.connect();
  const sub = await client.subscribe("/queue/t", {}, { receipt: true });
  await client.send("/queue/t", "hello", {}, { receipt: true });
  const it = sub[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.text(), "hello");
  await client.disconnect();

  const [connect] = frames(trace, "out", "CONNECT");
  const headers = Object.fromEntries(connect.headers);
  assert.equal(headers.passcode, "***");
  assert.equal(headers.Authorization, "***");
  assert.equal(headers["x-api-key"], "***");
  assert.equal(headers.login, "app");
  assert.equal(headers["client-id"], "c1");
  assert.match(connect.connection, /^tcp:\/\/test:1/);
  assert.ok(!JSON.stringify(trace).includes("s3cret"), "the passcode reached the trace");
  assert.ok(!JSON.stringify(trace).includes("abc.def"), "the token reached the trace");
  assert.equal(frames(trace, "in", "CONNECTED").length, 1);
  const [send] = frames(trace, "out", "SEND");
  assert.equal(send.bodyLength, 5);
  assert.equal(send.body, undefined, "bodies only with traceBodies");
  const [message] = frames(trace, "in", "MESSAGE");
  assert.equal(message.bodyLength, 5);
  assert.equal(frames(trace, "in", "RECEIPT").length, 3); // SUBSCRIBE, SEND, DISCONNECT
  assert.equal(frames(trace, "out", "DISCONNECT").length, 1);
  // Order on the wire: CONNECT goes out before CONNECTED comes in.
  assert.ok(trace.indexOf(connect) < trace.indexOf(frames(trace, "in", "CONNECTED")[0]));
});

Deno.test("trace: traceBodies gives the body bytes; a throwing hook does not break the client", async () => {
  await using broker = new StompTestBroker();
  const bodies: string[] = [];
  const client = new Stomp("tcp://test:1", {
    connector: broker.connector,
    traceBodies: true,
    trace: (e) => {
      if (e.type === "frame" && e.body) {
        bodies.push(`${e.direction} ${e.command} ${new TextDecoder().decode(e.body)}`);
      }
      throw new Error("a broken logger");
    },
  });
  await client.connect();
  await client.subscribe("/queue/b");
  await client.send("/queue/b", "payload");
  const frame = await client.receiveFrame(WAIT);
  assert.equal(frame.text(), "payload");
  await client.disconnect();
  assert.ok(bodies.includes("out SEND payload"), bodies.join("|"));
  assert.ok(bodies.includes("in MESSAGE payload"), bodies.join("|"));
});

Deno.test("trace: no hook means no trace work (the channel never calls into trace.ts)", async () => {
  // A frame whose rawHeaders getter counts reads: with a hook, redaction reads them once per frame.
  await using broker = new StompTestBroker();
  const client = new Stomp("tcp://test:1", { connector: broker.connector });
  await client.connect();
  let reads = 0;
  const frame = new StompFrame("SEND", { destination: "/queue/z" }, "x");
  const raw = frame.rawHeaders;
  Object.defineProperty(frame, "rawHeaders", {
    get() {
      reads++;
      return raw;
    },
  });
  await client.sendFrame(frame);
  const encodeReads = reads;
  await client.close();
  // Now the same with a hook: one more read (the redaction).
  const traced = new Stomp("tcp://test:1", { connector: broker.connector, trace: () => {} });
  await traced.connect();
  reads = 0;
  await traced.sendFrame(frame);
  await traced.close();
  assert.equal(reads, encodeReads + 1);
});

Deno.test("beforeConnect: fresh credentials on every connect and reconnect, with broker and attempt", async () => {
  // The broker wants a different passcode on every connection, as a rotating token does.
  await using broker = new StompTestBroker({
    users: (login, n) => login === "svc" ? `token-${n}` : undefined,
  });
  const calls: string[] = [];
  let issued = 0;
  const client = new AsyncStomp("failover:(tcp://test:1)?initialReconnectDelay=1", {
    connector: broker.connector,
    login: "svc",
    passcode: "stale",
    beforeConnect: ({ broker, attempt }) => {
      calls.push(`${broker.host}:${attempt}`);
      return Promise.resolve({ passcode: `token-${issued++}` });
    },
  });
  const events = client.status();
  await client.connect();
  await broker.drop();
  let connected = 0;
  await statusUntil(events, (e) => e.type === "connected" && ++connected === 2);
  assert.equal(client.state, "connected");
  assert.deepEqual(calls, ["test:1", "test:1"]);
  const connects = broker.frames.filter((f) => f.frame.command === "CONNECT");
  assert.deepEqual(connects.map((f) => f.frame.headers.passcode), ["token-0", "token-1"]);
  await client.disconnect();
});

Deno.test("beforeConnect: a throw fails that attempt (cause kept) and the failover moves on", async () => {
  await using good = new StompTestBroker();
  const connector = StompTestBroker.route({ "tcp://a:1": good.connector, "tcp://b:2": good.connector });
  const failure = new Error("vault unreachable");
  const client = new AsyncStomp(
    "failover:(tcp://a:1,tcp://b:2)?randomize=false&startupMaxReconnectAttempts=1&initialReconnectDelay=1",
    {
      connector,
      beforeConnect: ({ broker }) => {
        if (broker.host === "a") throw failure;
      },
    },
  );
  const events = client.status();
  await client.connect();
  const seen = await statusUntil(events, (e) => e.type === "connected");
  const error = seen.find((e) => e.type === "error");
  assert.ok(error?.type === "error" && error.error instanceof StompConnectionError);
  assert.match(error.error.message, /tcp:\/\/a:1: beforeConnect failed: vault unreachable/);
  assert.equal(error.error.cause, failure);
  assert.ok(seen.some((e) => e.type === "connected" && e.broker.host === "b"));
  assert.equal(good.connections, 1, "no connection was opened for the attempt that failed");
  await client.disconnect();
});

Deno.test("beforeConnect: when every attempt throws, connect rejects with the hook's error at the end of the cause chain", async () => {
  await using broker = new StompTestBroker();
  const client = new Stomp("failover:(tcp://a:1)?startupMaxReconnectAttempts=1&initialReconnectDelay=1", {
    connector: broker.connector,
    beforeConnect: () => Promise.reject(new RangeError("no token")),
  });
  const error = await client.connect().catch((e) => e);
  assert.ok(error instanceof StompConnectTimeout, String(error));
  assert.ok(error.cause instanceof StompConnectionError);
  assert.ok((error.cause as Error).cause instanceof RangeError);
  assert.equal(broker.connections, 0);
});

Deno.test("beforeConnect: what it returns is checked like the config (no CR/LF, no passcode in headers)", async () => {
  await using broker = new StompTestBroker();
  for (
    const [returned, pattern] of [
      [{ passcode: "a\nb" }, /passcode \(from beforeConnect\) must not contain CR, LF or NUL/],
      [{ headers: { passcode: "x" } }, /CONNECT header "passcode" has its own option/],
      [42, /beforeConnect must return an object/],
    ] as const
  ) {
    const client = new Stomp("failover:(tcp://a:1)?startupMaxReconnectAttempts=0", {
      connector: broker.connector,
      beforeConnect: () => returned as never,
    });
    const error = await client.connect().catch((e) => e);
    assert.match(String((error.cause as Error)?.message), pattern);
    assert.ok(!String(error.cause.message).includes("a\nb"));
  }
});

Deno.test('connectCommand "STOMP" and disconnectHeaders go on the wire (both clients)', async () => {
  await using broker = new StompTestBroker();
  const options = {
    connector: broker.connector,
    connectCommand: "STOMP",
    disconnectHeaders: { "x-reason": "shutdown" },
  } as const;
  const sync = new Stomp("tcp://test:1", options);
  await sync.connect();
  await sync.disconnect({ receipt: "bye" });
  const async = new AsyncStomp("tcp://test:1", options);
  await async.connect();
  await async.disconnect();
  const seen = broker.frames.map((f) => f.frame);
  assert.deepEqual(seen.filter((f) => f.command === "STOMP").length, 2);
  assert.equal(seen.filter((f) => f.command === "CONNECT").length, 0);
  const disconnects = seen.filter((f) => f.command === "DISCONNECT");
  assert.deepEqual(disconnects.map((f) => f.headers["x-reason"]), ["shutdown", "shutdown"]);
  assert.equal(disconnects[0].headers.receipt, "bye");
});

Deno.test("config: the new options are validated and never print secrets", () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ connectCommand: "HELLO" }, /connectCommand must be "CONNECT" or "STOMP"/],
    [{ connectCommand: "STOMP", version: "1.0" }, /needs STOMP 1.1/],
    [{ disconnectHeaders: { receipt: "r" } }, /DISCONNECT header "receipt" has its own option/],
    [{ disconnectHeaders: { a: "x\ny" } }, /must not contain CR, LF or NUL/],
    [{ beforeConnect: "token" }, /beforeConnect must be a function/],
    [{ trace: true }, /trace must be a function/],
    [{ traceBodies: "yes" }, /traceBodies must be a boolean/],
    [{ webSocket: {} }, /webSocket must be a WebSocket class or a function/],
    [{ subprotocols: ["v12 stomp"] }, /subprotocols must be an array of WebSocket subprotocol tokens/],
    [{ maxWebSocketChunkSize: 0 }, /maxWebSocketChunkSize must be a whole number of bytes > 0/],
    [{ tls: { cert: "-----BEGIN CERTIFICATE-----" } }, /tls.cert and tls.key go together/],
    [{ tls: { cert: "nope", key: "nope" } }, /tls.cert must be a PEM string/],
    [{ tls: { minVersion: "TLSv1.1" } }, /tls.minVersion must be one of TLSv1.2,TLSv1.3/],
    [{ tls: { insecure: "true" } }, /tls.insecure must be a boolean/],
  ];
  for (const [options, pattern] of bad) {
    assert.throws(() => new StompConfig("tcp://h:1", options), pattern, JSON.stringify(options));
  }
  const key = "-----BEGIN PRIVATE KEY-----\nSECRETKEY\n-----END PRIVATE KEY-----";
  const config = new StompConfig("ssl://h:1", {
    passcode: "pw",
    tls: { cert: "-----BEGIN CERTIFICATE-----\nC\n-----END CERTIFICATE-----", key, insecure: true },
  });
  assert.match(config.info(), /tls=INSECURE/);
  for (const text of [config.info(), String(config), JSON.stringify(config), Deno.inspect(config)]) {
    assert.ok(!text.includes("SECRETKEY"), text);
    assert.ok(!text.includes('pw"'), text);
  }
  assert.equal((config.toJSON().tls as { clientCert: boolean }).clientCert, true);
  assert.doesNotMatch(new StompConfig("ssl://h:1").info(), /INSECURE/);
});

Deno.test("client.state is synchronous and status() starts with it", async () => {
  await using broker = new StompTestBroker();
  const client = new AsyncStomp("failover:(tcp://test:1)?initialReconnectDelay=1", {
    connector: broker.connector,
  });
  assert.equal(client.state, "closed");
  const connecting = client.connect();
  assert.equal(client.state, "connecting");
  const early = await client.status().next();
  assert.deepEqual(early.value, { type: "state", state: "connecting" });
  await connecting;
  assert.equal(client.state, "connected");
  // A listener that subscribes late still learns where the client is.
  const late = client.status();
  assert.deepEqual((await late.next()).value, { type: "state", state: "connected" });
  await broker.drop();
  const seen = await statusUntil(late, (e) => e.type === "reconnecting" || e.type === "connected");
  assert.equal(seen[0].type, "disconnected");
  await statusUntil(late, (e) => e.type === "connected");
  const disconnecting = client.disconnect();
  assert.equal(client.state, "disconnecting");
  await disconnecting;
  assert.equal(client.state, "closed");
  assert.deepEqual((await client.status().next()).value, { type: "state", state: "closed" });
});

/** A peer the test scripts frame by frame: answers CONNECT with CONNECTED, then writes what it is told. */
function scriptedPeer() {
  const received: StompFrame[] = [];
  let write!: (text: string) => Promise<void>;
  let wake: (() => void) | undefined;
  const connector: StompConnector = (broker) => {
    const [client, server] = memoryPair(`tcp://${broker.host}:${broker.port}`);
    write = (text) => server.write(new TextEncoder().encode(text));
    (async () => {
      const parser = new StompParser("1.2");
      for await (const chunk of server.readable) {
        parser.add(chunk);
        while (parser.canRead()) {
          const frame = parser.get();
          if (!(frame instanceof StompFrame)) continue;
          received.push(frame);
          wake?.();
          if (frame.command === "CONNECT") await write("CONNECTED\nversion:1.2\n\n\0");
        }
      }
    })();
    return Promise.resolve(client);
  };
  const waitFor = async (command: string) => {
    while (!received.some((f) => f.command === command)) await new Promise<void>((r) => wake = r);
  };
  return { connector, received, waitFor, write: (text: string) => write(text) };
}

Deno.test("unhandled: a MESSAGE for an unknown subscription is reported and left (neither ACK nor NACK)", async () => {
  const peer = scriptedPeer();
  const client = new AsyncStomp("tcp://peer:1", { connector: peer.connector, reconnect: false });
  await client.connect();
  const events = client.status();
  await peer.write("MESSAGE\nsubscription:nobody\nmessage-id:m1\ndestination:/queue/x\nack:a1\n\nlost?\0");
  const seen = await statusUntil(events, (e) => e.type === "unhandled");
  const event = seen.at(-1)!;
  assert.ok(event.type === "unhandled");
  assert.equal(event.frame.command, "MESSAGE");
  assert.equal(event.frame.text(), "lost?");
  assert.equal(event.action, "left");
  assert.match(event.reason, /subscription this client does not know/);
  await client.disconnect({ receipt: false });
  await peer.waitFor("DISCONNECT");
  assert.deepEqual(peer.received.map((f) => f.command), ["CONNECT", "DISCONNECT"]);
});

Deno.test("unhandled: a RECEIPT no one waits for, and an ERROR after the client closed", async () => {
  const peer = scriptedPeer();
  const client = new AsyncStomp("tcp://peer:1", { connector: peer.connector, reconnect: false });
  await client.connect();
  const events = client.status();
  await peer.write("RECEIPT\nreceipt-id:never-asked\n\n\0");
  let seen = await statusUntil(events, (e) => e.type === "unhandled");
  let event = seen.at(-1)!;
  assert.ok(event.type === "unhandled" && event.action === "ignored");
  assert.match(event.reason, /RECEIPT nobody asked for/);
  // A receipt whose wait timed out: when it comes at last, it is reported, not dropped.
  const sent = client.send("/queue/x", "x", {}, { receipt: "late-1", timeout: 1 });
  await assert.rejects(sent);
  await peer.waitFor("SEND");
  await peer.write("RECEIPT\nreceipt-id:late-1\n\n\0");
  seen = await statusUntil(events, (e) => e.type === "unhandled");
  event = seen.at(-1)!;
  assert.ok(event.type === "unhandled");
  assert.equal(event.frame.headers["receipt-id"], "late-1");
  assert.match(event.reason, /nobody waits for any more/);
  // Two ERRORs in one read: the first ends the client, the second arrives after it closed.
  await peer.write("ERROR\nmessage:first\n\n\0ERROR\nmessage:second\n\n\0");
  seen = await statusUntil(events, (e) => e.type === "unhandled");
  event = seen.at(-1)!;
  assert.ok(event.type === "unhandled");
  assert.equal(event.frame.headers.message, "second");
  assert.match(event.reason, /ERROR after the client closed/);
  await assert.rejects(client.disconnected, /first/);
  assert.equal(client.state, "closed");
});
