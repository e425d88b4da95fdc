import assert from "node:assert/strict";
import { StompConnectTimeout } from "../src/errors.ts";
import {
  DEFAULT_FAILOVER_OPTIONS,
  isLocalHost,
  type StompFailoverAttempt,
  StompFailoverTransport,
  StompFailoverUri,
} from "../src/protocol/failover.ts";
import type { StompBroker } from "../src/protocol/broker.ts";

const tcp = (host: string, port: number): StompBroker => ({ protocol: "tcp", host, port });

/** A random() that plays back `values` in order and fails the test if it runs dry. */
function playback(...values: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error(`random() called more than ${values.length} times`);
    return values[i++];
  };
}

/**
 * Takes exactly `expected.length` steps (passes of `perPass` brokers), checks each step's delay, broker
 * and attempt (its pass), then expects the timeout counting the passes as attempts.
 */
function expectSequence(
  steps: Iterator<StompFailoverAttempt>,
  expected: Array<[number, StompBroker]>,
  perPass = 1,
): void {
  assert.equal(expected.length % perPass, 0, "whole passes");
  for (const [i, [delay, broker]] of expected.entries()) {
    const step = steps.next();
    assert.equal(step.done, false, `step ${i} ended early`);
    assert.deepEqual(
      { delay: step.value.delay, broker: { ...step.value.broker }, attempt: step.value.attempt },
      { delay, broker, attempt: Math.floor(i / perPass) + 1 },
      `step ${i}`,
    );
  }
  const passes = expected.length / perPass;
  assert.throws(() => steps.next(), (e) => {
    assert.ok(e instanceof StompConnectTimeout);
    assert.equal(e.attempts, passes);
    assert.match(
      e.message,
      new RegExp(`after ${passes} attempts? \\(${expected.length} tr(y|ies) over ${perPass} brokers?`),
    );
    return true;
  });
}

const hosts = (steps: Iterator<StompFailoverAttempt>, n: number) =>
  Array.from({ length: n }, () => steps.next().value.broker.host);

// --- URI parsing (stompest's StompFailoverUriTest, extended) ---

Deno.test("uri: plain tcp URI gets the documented defaults", () => {
  const uri = new StompFailoverUri("tcp://localhost:61613");
  assert.deepEqual(uri.brokers.map((b) => ({ ...b })), [tcp("localhost", 61613)]);
  assert.deepEqual({ ...uri.options }, {
    priorityBackup: false,
    initialReconnectDelay: 10,
    reconnectDelayJitter: 0,
    maxReconnectDelay: 30000,
    backOffMultiplier: 2.0,
    startupMaxReconnectAttempts: 0,
    maxReconnectAttempts: -1,
    useExponentialBackOff: true,
    randomize: true,
  });
  assert.deepEqual({ ...uri.options }, { ...DEFAULT_FAILOVER_OPTIONS });
  assert.ok(Object.isFrozen(uri.options) && Object.isFrozen(uri.brokers) && Object.isFrozen(uri.brokers[0]));
});

Deno.test("uri: stompest's comma-separated options on a plain URI", () => {
  const uri = new StompFailoverUri(
    "tcp://123.456.789.0:61616?randomize=true,maxReconnectAttempts=-1,priorityBackup=true",
  );
  assert.equal(uri.options.randomize, true);
  assert.equal(uri.options.priorityBackup, true);
  assert.equal(uri.options.maxReconnectAttempts, -1);
  assert.deepEqual(uri.brokers.map((b) => ({ ...b })), [tcp("123.456.789.0", 61616)]);
});

Deno.test("uri: failover with parentheses keeps its text and broker order", () => {
  const text =
    "failover:(tcp://primary:61616,tcp://secondary:61616)?randomize=false,maxReconnectAttempts=2,backOffMultiplier=3.0";
  const uri = new StompFailoverUri(text);
  assert.equal(uri.toString(), text);
  assert.equal(String(new StompFailoverUri(uri)), text);
  assert.equal(uri.options.randomize, false);
  assert.equal(uri.options.backOffMultiplier, 3.0);
  assert.equal(uri.options.maxReconnectAttempts, 2);
  assert.deepEqual(uri.brokers.map((b) => ({ ...b })), [tcp("primary", 61616), tcp("secondary", 61616)]);
});

Deno.test("uri: ActiveMQ's & separator, mixed separators, no parentheses, empty query", () => {
  const a = new StompFailoverUri("failover:(tcp://a:1,ssl://b:2)?randomize=false&initialReconnectDelay=5");
  assert.equal(a.options.randomize, false);
  assert.equal(a.options.initialReconnectDelay, 5);
  assert.deepEqual(a.brokers.map((b) => b.protocol), ["tcp", "ssl"]);
  const b = new StompFailoverUri(
    "failover:tcp://a:1,tcp://b:2?maxReconnectDelay=50&randomize=false,priorityBackup=true",
  );
  assert.deepEqual([b.options.maxReconnectDelay, b.options.randomize, b.options.priorityBackup], [
    50,
    false,
    true,
  ]);
  assert.deepEqual(b.brokers.map((x) => x.host), ["a", "b"]);
  assert.deepEqual({ ...new StompFailoverUri("tcp://a:1?").options }, { ...DEFAULT_FAILOVER_OPTIONS });
  assert.deepEqual({ ...new StompFailoverUri("failover:(tcp://a:1)").options }, {
    ...DEFAULT_FAILOVER_OPTIONS,
  });
});

Deno.test("uri: schemes, IPv6 and WebSocket paths", () => {
  const uri = new StompFailoverUri(
    "failover:(tcp://[::1]:61613,ssl://[fe80::1%eth0]:61614,ws://127.0.0.1:15674/ws,WSS://h:15673/a/b-c,ws://h:80)",
  );
  assert.deepEqual(uri.brokers.map((b) => ({ ...b })), [
    { protocol: "tcp", host: "::1", port: 61613 },
    { protocol: "ssl", host: "fe80::1%eth0", port: 61614 },
    { protocol: "ws", host: "127.0.0.1", port: 15674, path: "/ws" },
    { protocol: "wss", host: "h", port: 15673, path: "/a/b-c" },
    { protocol: "ws", host: "h", port: 80, path: "/" },
  ]);
  assert.equal(new StompFailoverUri("tcp://h:1").brokers[0].path, undefined);
  assert.equal(new StompFailoverUri("tcp://h:65535").brokers[0].port, 65535);
});

Deno.test("uri: stompest's invalid URIs are still refused (ssl is now a valid scheme)", () => {
  for (
    const text of [
      "tcp://:61613",
      "tcp://61613",
      "tcp:localhost:61613",
      "tcp:/localhost",
      "tcp://localhost:",
      "tcp://localhost:a",
      "tcp://localhost:61613?randomize=1",
      "tcp://localhost:61613?randomize=True",
      "tcp://localhost:61613??=False",
      "tcp://localhost:61613?a=False",
      "tcp://localhost:61613?maxReconnectDelay=False",
      "failover:(tcp://primary:61616, tcp://secondary:61616)",
      "failover:tcp://primary:61616, tcp://secondary:61616",
      "failover:tcp://primary:61616,tcp://secondary:61616)",
      "failover:(tcp://primary:61616,tcp://secondary:61616",
    ]
  ) {
    assert.throws(() => new StompFailoverUri(text), TypeError, text);
    assert.throws(() => new StompFailoverTransport(text), TypeError, text);
  }
});

Deno.test("uri: each error names what is wrong", () => {
  const cases: Array<[string, RegExp]> = [
    ["tcp://h:61613?colour=blue", /unknown option "colour".*supported: initialReconnectDelay/],
    ["tcp://h:61613?randomize=yes", /option "randomize" needs "true" or "false", got "yes"/],
    ["tcp://h:61613?maxReconnectDelay=-5", /option "maxReconnectDelay" needs a whole number.*got "-5"/],
    ["tcp://h:61613?initialReconnectDelay=", /option "initialReconnectDelay" needs .* got ""/],
    ["tcp://h:61613?initialReconnectDelay=1e3", /"initialReconnectDelay" .* got "1e3"/],
    ["tcp://h:61613?maxReconnectAttempts=-2", /option "maxReconnectAttempts" needs .*>= -1.* got "-2"/],
    ["tcp://h:61613?startupMaxReconnectAttempts=1.5", /"startupMaxReconnectAttempts" .* got "1.5"/],
    ["tcp://h:61613?backOffMultiplier=0.5", /option "backOffMultiplier" needs a number >= 1, got "0.5"/],
    ["tcp://h:61613?randomize", /option "randomize" needs .* got no value/],
    ["tcp://h:61613?randomize=true&randomize=false", /option "randomize" given twice/],
    ["tcp://h:61613?randomize=true&", /empty option name/],
    ["http://h:61613", /unsupported scheme "http" \(supported: tcp, ssl, ws, wss\)/],
    ["stomp://h:61613", /unsupported scheme "stomp"/],
    ["tcp://h", /missing port in broker "tcp:\/\/h"/],
    ["ws://h/ws", /missing port in broker "ws:\/\/h\/ws"/],
    ["tcp://h:70000", /port 70000 out of range \(1-65535\)/],
    ["tcp://h:0", /port 0 out of range/],
    ["tcp://h:+1", /bad port "\+1"/],
    ["tcp://::1:61613", /IPv6 address .* must be in brackets/],
    ["tcp://[::1:61613", /unclosed "\["/],
    ["tcp://[nothost]:61613", /"nothost" .* is not an IPv6 address/],
    ["tcp://[::1]", /missing port/],
    ["tcp://h:61613/path", /a path is only allowed for ws\/wss brokers/],
    ["ws://h:1/a#frag", /bad path "\/a#frag"/],
    ["tcp://h_:1", /bad host "h_"/],
    ["failover:", /no broker given/],
    ["failover:()", /no broker given/],
    ["failover:(tcp://a:1)x", /unexpected "x" after "\)"/],
    ["failover:(tcp://a:1?randomize=false)", /per-broker options/],
    ["failover:tcp://a:1,", /broker "" is not scheme:\/\/host:port/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => new StompFailoverTransport(text), (e) => {
      assert.ok(e instanceof TypeError, text);
      assert.match(e.message, pattern, text);
      return true;
    });
  }
});

Deno.test("uri: credentials are refused without echoing them", () => {
  assert.throws(() => new StompFailoverUri("failover:(tcp://user:hunter2@h:61613)"), (e) => {
    assert.ok(e instanceof TypeError);
    assert.doesNotMatch(e.message, /hunter2/);
    assert.match(e.message, /credentials/);
    return true;
  });
});

Deno.test("uri: prints as its text in JSON and console output", () => {
  const uri = new StompFailoverUri("failover:(tcp://a:1,ws://b:2/ws)?randomize=false");
  assert.equal(JSON.stringify({ uri }), '{"uri":"failover:(tcp://a:1,ws://b:2/ws)?randomize=false"}');
  assert.equal(Deno.inspect(uri), 'StompFailoverUri("failover:(tcp://a:1,ws://b:2/ws)?randomize=false")');
});

// --- the sequence (stompest's StompFailoverTest, extended) ---

Deno.test("transport: startup limit, then maxReconnectAttempts once connected (backoff), in passes", () => {
  const failover = new StompFailoverTransport(
    "failover:tcp://remote1:61615,tcp://localhost:61616,tcp://remote2:61617?randomize=false," +
      "startupMaxReconnectAttempts=1,initialReconnectDelay=7,backOffMultiplier=3.0,maxReconnectAttempts=0",
  );
  assert.equal(failover.retryLimit, "startupMaxReconnectAttempts");
  expectSequence(failover[Symbol.iterator](), [
    [0, tcp("remote1", 61615)],
    [7, tcp("localhost", 61616)],
    [21, tcp("remote2", 61617)],
    [63, tcp("remote1", 61615)],
    [189, tcp("localhost", 61616)],
    [567, tcp("remote2", 61617)],
  ], 3);
  failover.connected();
  assert.equal(failover.everConnected, true);
  assert.equal(failover.retryLimit, "maxReconnectAttempts");
  expectSequence(failover[Symbol.iterator](), [
    [0, tcp("remote1", 61615)],
    [7, tcp("localhost", 61616)],
    [21, tcp("remote2", 61617)],
  ], 3);
});

Deno.test("transport: the defaults try every broker once at startup (one attempt = one pass)", () => {
  for (let seed = 0; seed < 20; seed++) {
    let x = seed / 20;
    const random = () => (x = (x * 9301 + 0.49297) % 1);
    const failover = new StompFailoverTransport("failover:(tcp://a:1,tcp://b:2,tcp://c:3)", { random });
    const steps = failover[Symbol.iterator]();
    assert.deepEqual(new Set(hosts(steps, 3)), new Set(["a", "b", "c"]), `seed ${seed}`);
    assert.throws(() => steps.next(), (e) => e instanceof StompConnectTimeout && e.attempts === 1);
  }
});

Deno.test("transport: delays are capped by maxReconnectDelay; maxReconnectAttempts=0 is one pass", () => {
  const failover = new StompFailoverTransport(
    "failover:(tcp://remote1:61615,tcp://localhost:61616)?randomize=false,startupMaxReconnectAttempts=1," +
      "initialReconnectDelay=7,maxReconnectDelay=8,maxReconnectAttempts=0",
  );
  expectSequence(failover[Symbol.iterator](), [
    [0, tcp("remote1", 61615)],
    [7, tcp("localhost", 61616)],
    [8, tcp("remote1", 61615)],
    [8, tcp("localhost", 61616)],
  ], 2);
  failover.connected();
  expectSequence(failover[Symbol.iterator](), [[0, tcp("remote1", 61615)], [7, tcp("localhost", 61616)]], 2);
});

Deno.test("transport: no exponential backoff keeps the initial delay", () => {
  const failover = new StompFailoverTransport(
    "failover:(tcp://remote1:61615,tcp://localhost:61616)?randomize=false,startupMaxReconnectAttempts=1," +
      "initialReconnectDelay=3,useExponentialBackOff=false",
  );
  expectSequence(failover[Symbol.iterator](), [
    [0, tcp("remote1", 61615)],
    [3, tcp("localhost", 61616)],
    [3, tcp("remote1", 61615)],
    [3, tcp("localhost", 61616)],
  ], 2);
});

Deno.test("transport: without connected() every sequence keeps the startup limit and starts afresh", () => {
  const failover = new StompFailoverTransport(
    "tcp://h:1?startupMaxReconnectAttempts=1&maxReconnectAttempts=5",
  );
  for (let round = 0; round < 3; round++) {
    expectSequence(failover[Symbol.iterator](), [[0, tcp("h", 1)], [10, tcp("h", 1)]]);
  }
  assert.equal(failover.everConnected, false);
});

Deno.test("transport: default limits: one startup pass, then retry forever with delays capped", () => {
  const failover = new StompFailoverTransport("tcp://h:1");
  expectSequence(failover[Symbol.iterator](), [[0, tcp("h", 1)]]);
  failover.connected();
  const steps = failover[Symbol.iterator]();
  const delays = Array.from({ length: 3000 }, () => steps.next().value.delay);
  assert.deepEqual(delays.slice(0, 13), [0, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 20480]);
  assert.ok(delays.slice(13).every((d) => d === 30000), "capped, never Infinity or NaN");
});

Deno.test("transport: a fractional multiplier grows the delay exactly", () => {
  const failover = new StompFailoverTransport(
    "tcp://h:1?backOffMultiplier=1.5&startupMaxReconnectAttempts=3",
  );
  expectSequence(failover[Symbol.iterator](), [[0, tcp("h", 1)], [10, tcp("h", 1)], [15, tcp("h", 1)], [
    22.5,
    tcp("h", 1),
  ]]);
});

Deno.test("transport: startupMaxReconnectAttempts=-1 retries forever, one attempt per pass", () => {
  const steps = new StompFailoverTransport("tcp://h:1?startupMaxReconnectAttempts=-1")[Symbol.iterator]();
  for (let i = 1; i <= 500; i++) assert.equal(steps.next().value.attempt, i);
  const two = new StompFailoverTransport("failover:(tcp://a:1,tcp://b:2)?startupMaxReconnectAttempts=-1")
    [Symbol.iterator]();
  const attempts = Array.from({ length: 6 }, () => two.next().value.attempt);
  assert.deepEqual(attempts, [1, 1, 2, 2, 3, 3]);
});

Deno.test("transport: the timeout names the limit and carries the last error handed to next()", () => {
  const failover = new StompFailoverTransport(
    "failover:(tcp://a:1,tcp://b:2)?randomize=false&maxReconnectAttempts=1",
  );
  failover.connected();
  const steps = failover[Symbol.iterator]();
  steps.next();
  for (const host of ["a", "b", "a"]) steps.next(new Error(`${host} refused`));
  const last = new Error("b refused again");
  assert.throws(() => steps.next(last), (e) => {
    assert.ok(e instanceof StompConnectTimeout);
    assert.equal(e.attempts, 2);
    assert.equal(e.cause, last);
    assert.match(e.message, /after 2 attempts \(4 tries over 2 brokers; maxReconnectAttempts=1\)/);
    assert.match(e.message, /failover:\(tcp:\/\/a:1,tcp:\/\/b:2\)/);
    return true;
  });
  assert.equal(steps.next().done, true, "an exhausted sequence stays over");
  assert.equal(failover[Symbol.iterator]().next().value?.delay, 0, "a new sequence starts afresh");
});

Deno.test("transport: a bad URI throws from the constructor, not on iteration", () => {
  assert.throws(() => new StompFailoverTransport("tcp://h:1?bogus=1"), /unknown option "bogus"/);
  assert.throws(
    () => new StompFailoverTransport("tcp://h:1", { random: 5 as unknown as () => number }),
    TypeError,
  );
});

Deno.test("transport: priorityBackup puts local hosts first, in a stable order", () => {
  const failover = new StompFailoverTransport(
    "failover:tcp://remote1:61616,tcp://localhost:61616,tcp://127.0.0.1:61615,tcp://remote2:61616" +
      "?startupMaxReconnectAttempts=0,priorityBackup=true,randomize=false",
  );
  expectSequence(failover[Symbol.iterator](), [
    [0, tcp("localhost", 61616)],
    [10, tcp("127.0.0.1", 61615)],
    [20, tcp("remote1", 61616)],
    [40, tcp("remote2", 61616)],
  ], 4);
  const v6 = new StompFailoverTransport(
    "failover:tcp://r:1,tcp://[::1]:2,tcp://127.9.9.9:3?priorityBackup=true&randomize=false&startupMaxReconnectAttempts=-1",
  );
  assert.deepEqual(hosts(v6[Symbol.iterator](), 6), ["::1", "127.9.9.9", "r", "::1", "127.9.9.9", "r"]);
});

Deno.test("transport: an injected isLocalHost decides what priorityBackup prefers", () => {
  const failover = new StompFailoverTransport(
    "failover:tcp://a:1,tcp://b:2,tcp://localhost:3?priorityBackup=true&randomize=false&startupMaxReconnectAttempts=2",
    { isLocalHost: (h) => h === "b" },
  );
  assert.deepEqual(hosts(failover[Symbol.iterator](), 3), ["b", "a", "localhost"]);
});

Deno.test("transport: randomize shuffles within the local and the remote group (deterministic)", () => {
  const uri = "failover:tcp://remote1:61616,tcp://localhost:61616,tcp://127.0.0.1:61615,tcp://remote2:61616" +
    "?priorityBackup=true,randomize=true,startupMaxReconnectAttempts=-1";
  // Fisher-Yates, last index first: per pass one draw for the local pair, then one for the remote pair.
  const failover = new StompFailoverTransport(uri, { random: playback(0, 0.9, 0.9, 0, 0.5, 0.5) });
  const steps = failover[Symbol.iterator]();
  assert.deepEqual(hosts(steps, 4), ["127.0.0.1", "localhost", "remote1", "remote2"]);
  assert.deepEqual(hosts(steps, 4), ["localhost", "127.0.0.1", "remote2", "remote1"]);
  assert.deepEqual(hosts(steps, 4), ["localhost", "127.0.0.1", "remote1", "remote2"]);
});

Deno.test("transport: randomize reshuffles the whole list every pass (deterministic)", () => {
  const failover = new StompFailoverTransport(
    "failover:tcp://a:1,tcp://b:2,tcp://c:3?startupMaxReconnectAttempts=-1",
    {
      random: playback(0, 0, 0.99, 0.99, 0.5, 0),
    },
  );
  const steps = failover[Symbol.iterator]();
  // [a,b,c]: i=2 j=0 -> [c,b,a]; i=1 j=0 -> [b,c,a]
  assert.deepEqual(hosts(steps, 3), ["b", "c", "a"]);
  // j=2, j=1: no swaps
  assert.deepEqual(hosts(steps, 3), ["a", "b", "c"]);
  // i=2 j=1 -> [a,c,b]; i=1 j=0 -> [c,a,b]
  assert.deepEqual(hosts(steps, 3), ["c", "a", "b"]);
});

Deno.test("transport: randomize with Math.random keeps the groups and does shuffle both", () => {
  const uri = "failover:tcp://remote1:61616,tcp://localhost:61616,tcp://127.0.0.1:61615,tcp://remote2:61616" +
    "?priorityBackup=true,randomize=true,startupMaxReconnectAttempts=3";
  let localShuffled = 0;
  let remoteShuffled = 0;
  // Each group is reversed with probability 1/2 per try: 200 tries leave a 2^-199 chance of a false failure.
  for (let i = 0; i < 200 && localShuffled * remoteShuffled === 0; i++) {
    const h = hosts(new StompFailoverTransport(uri)[Symbol.iterator](), 4);
    assert.deepEqual(new Set(h.slice(0, 2)), new Set(["localhost", "127.0.0.1"]));
    assert.deepEqual(new Set(h.slice(2)), new Set(["remote1", "remote2"]));
    if (h[0] !== "localhost") localShuffled++;
    if (h[2] !== "remote1") remoteShuffled++;
  }
  assert.ok(localShuffled > 0 && remoteShuffled > 0);
});

Deno.test("transport: jitter adds random() x reconnectDelayJitter, then the cap applies", () => {
  const uri = "failover:tcp://remote1:61616?useExponentialBackOff=false,startupMaxReconnectAttempts=3," +
    "reconnectDelayJitter=4";
  const steps = new StompFailoverTransport(uri, { random: playback(0, 0.5, 0.999) })[Symbol.iterator]();
  assert.deepEqual(Array.from({ length: 4 }, () => steps.next().value.delay), [0, 10, 12, 10 + 0.999 * 4]);
  const capped = new StompFailoverTransport(
    "tcp://h:1?reconnectDelayJitter=100&maxReconnectDelay=12&startupMaxReconnectAttempts=1",
    {
      random: () => 0.9,
    },
  )[Symbol.iterator]();
  capped.next();
  assert.equal(capped.next().value.delay, 12);
  // stompest's check with the real random source: always within [10, 14).
  for (let i = 0; i < 200; i++) {
    const s = new StompFailoverTransport(uri)[Symbol.iterator]();
    s.next();
    const d = s.next().value.delay;
    assert.ok(d >= 10 && d < 14, `delay ${d}`);
  }
});

Deno.test("transport: no jitter and no randomize draw no random numbers", () => {
  const steps = new StompFailoverTransport(
    "failover:tcp://a:1,tcp://b:2?randomize=false&startupMaxReconnectAttempts=5",
    {
      random: playback(),
    },
  )[Symbol.iterator]();
  assert.deepEqual(Array.from({ length: 6 }, () => steps.next().value.delay), [0, 10, 20, 40, 80, 160]);
});

Deno.test("transport: a random() outside [0, 1) is a RangeError, not a wrong index", () => {
  for (const bad of [1, -0.1, NaN]) {
    const steps = new StompFailoverTransport("failover:tcp://a:1,tcp://b:2", { random: () => bad })
      [Symbol.iterator]();
    assert.throws(() => steps.next(), RangeError);
  }
});

Deno.test("isLocalHost: loopback names and addresses only", () => {
  for (
    const h of [
      "localhost",
      "LocalHost",
      "a.localhost",
      "127.0.0.1",
      "127.1.2.3",
      "::1",
      "0:0:0:0:0:0:0:1",
      "0::1",
    ]
  ) {
    assert.equal(isLocalHost(h), true, h);
  }
  for (const h of ["::ffff:127.0.0.1", "::1%lo"]) assert.equal(isLocalHost(h), true, h);
  for (
    const h of [
      "example.org",
      "128.0.0.1",
      "10.0.0.1",
      "::",
      "::2",
      "1::1",
      "fe80::1",
      "localhost.example",
      "1:2:3",
    ]
  ) {
    assert.equal(isLocalHost(h), false, h);
  }
});
