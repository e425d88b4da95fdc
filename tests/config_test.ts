import assert from "node:assert/strict";
import { inspect } from "node:util";
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_CONNECTED_TIMEOUT,
  StompConfig,
  type StompConfigOptions,
} from "../src/connection/config.ts";
import { StompFailoverUri } from "../src/protocol/failover.ts";
import type { StompConnector } from "../src/connection/transport.ts";

const SECRET = "s3cr3t-P4ss-7f1d";
const URI = "failover:(tcp://127.0.0.1:61613,ws://127.0.0.1:15674/ws)?randomize=false";

/** Everything a passcode could leak through. */
function printouts(config: StompConfig): string[] {
  return [
    config.toString(),
    config.info(),
    JSON.stringify(config),
    JSON.stringify({ nested: [config] }),
    Deno.inspect(config),
    Deno.inspect({ config }, { depth: 10 }),
    inspect(config),
    inspect({ config }, { depth: 10, showHidden: true }),
    `${config}`,
    String(Object.entries(config)),
    JSON.stringify(structuredClone({ ...config })),
  ];
}

/** The message, string form and cause chain of an error. */
function errorText(e: unknown): string {
  const parts: string[] = [];
  for (let x = e, depth = 0; x !== undefined && depth < 10; x = (x as Error).cause, depth++) {
    parts.push(String(x), (x as Error).message ?? "", (x as Error).stack ?? "", Deno.inspect(x));
  }
  return parts.join("\n");
}

Deno.test("config: defaults", () => {
  const config = new StompConfig("tcp://localhost:61613");
  assert.equal(config.uri.toString(), "tcp://localhost:61613");
  assert.deepEqual(config.uri.brokers.map((b) => ({ ...b })), [{
    protocol: "tcp",
    host: "localhost",
    port: 61613,
  }]);
  assert.equal(config.login, undefined);
  assert.equal(config.passcode, undefined);
  assert.equal(config.version, "1.2");
  assert.deepEqual(config.versions, ["1.0", "1.1", "1.2"]);
  assert.equal(config.check, true);
  assert.equal(config.tls, undefined);
  assert.equal(config.connector, undefined);
  assert.equal(config.host, undefined);
  assert.deepEqual(config.heartBeats, [0, 0]);
  assert.equal(config.connectTimeout, DEFAULT_CONNECT_TIMEOUT);
  assert.equal(config.connectedTimeout, DEFAULT_CONNECTED_TIMEOUT);
  assert.ok(DEFAULT_CONNECT_TIMEOUT > 0 && Number.isFinite(DEFAULT_CONNECT_TIMEOUT));
  assert.ok(DEFAULT_CONNECTED_TIMEOUT > 0 && Number.isFinite(DEFAULT_CONNECTED_TIMEOUT));
  assert.deepEqual(config.headers, {});
  assert.equal(config.info(), "uri=tcp://localhost:61613 version=1.2");
});

Deno.test("config: every option is kept", () => {
  const connector: StompConnector = () => Promise.reject(new Error("unused"));
  const uri = new StompFailoverUri(URI);
  const config = new StompConfig(uri, {
    login: "guest",
    passcode: SECRET,
    version: "1.1",
    check: false,
    tls: { caCerts: ["PEM"], hostname: "localhost" },
    connector,
    host: "/",
    heartBeats: [1000, 2000],
    connectTimeout: 500,
    connectedTimeout: 700,
    headers: { "client-id": "c1" },
  });
  assert.equal(config.uri, uri, "a parsed URI is used as is");
  assert.equal(config.login, "guest");
  assert.equal(config.passcode, SECRET);
  assert.equal(config.version, "1.1");
  assert.deepEqual(config.versions, ["1.0", "1.1"]);
  assert.equal(config.check, false);
  assert.deepEqual(config.tls, { caCerts: ["PEM"], hostname: "localhost" });
  assert.equal(config.connector, connector);
  assert.equal(config.host, "/");
  assert.deepEqual(config.heartBeats, [1000, 2000]);
  assert.equal(config.connectTimeout, 500);
  assert.equal(config.connectedTimeout, 700);
  assert.deepEqual(config.headers, { "client-id": "c1" });
  assert.ok(
    Object.isFrozen(config.headers) && Object.isFrozen(config.heartBeats) && Object.isFrozen(config.tls),
  );
  assert.equal(config.info(), `uri=${URI} login=guest version=1.1`);
  assert.equal(config.toString(), `StompConfig(uri=${URI} login=guest version=1.1)`);
});

Deno.test("config: the passcode never shows in any printout", () => {
  const config = new StompConfig(URI, {
    login: "guest",
    passcode: SECRET,
    tls: { caCerts: ["PEM"] },
    headers: { "client-id": "c1" },
  });
  assert.equal(config.passcode, SECRET, "still readable on purpose");
  assert.ok(!Object.keys(config).includes("passcode"));
  for (const text of printouts(config)) {
    assert.ok(!text.includes(SECRET), `passcode leaked: ${text}`);
  }
  // The printouts still say something useful.
  assert.match(Deno.inspect(config), /"login":"guest"/);
  assert.match(Deno.inspect(config), /"passcode":"\*\*\*"/);
  assert.match(inspect(config), /"uri":"failover:\(tcp:\/\/127\.0\.0\.1:61613/);
  assert.deepEqual(JSON.parse(JSON.stringify(config)).versions, ["1.0", "1.1", "1.2"]);
});

Deno.test("config: the passcode never shows in an error", () => {
  const base: StompConfigOptions = { login: "guest", passcode: SECRET };
  const bad: Array<[string, StompConfigOptions]> = [
    ["tcp://h:1?bogus=1", base],
    ["tcp://h", base],
    [URI, { ...base, version: "9.9" as "1.2" }],
    [URI, { ...base, heartBeats: [-1, 0] }],
    [URI, { ...base, connectTimeout: 0 }],
    [URI, { ...base, headers: { passcode: SECRET } }],
    [URI, { ...base, passcode: `${SECRET}\ninjected:1` }],
    [URI, { ...base, passcode: 42 as unknown as string }],
    [URI, { ...base, passCode: SECRET } as StompConfigOptions],
  ];
  for (const [uri, options] of bad) {
    assert.throws(() => new StompConfig(uri, options), (e) => {
      assert.ok(e instanceof TypeError, errorText(e));
      assert.ok(!errorText(e).includes(SECRET), `passcode leaked: ${errorText(e)}`);
      return true;
    });
  }
});

Deno.test("config: versions follow the highest allowed version, or are given exactly", () => {
  assert.deepEqual(new StompConfig(URI, { version: "1.0" }).versions, ["1.0"]);
  assert.deepEqual(new StompConfig(URI, { version: "1.2" }).versions, ["1.0", "1.1", "1.2"]);
  const exact = new StompConfig(URI, { versions: ["1.2", "1.1"] });
  assert.deepEqual(exact.versions, ["1.1", "1.2"], "sorted oldest first");
  assert.equal(exact.version, "1.2");
  const capped = new StompConfig(URI, { versions: ["1.1", "1.0"], version: "1.2" });
  assert.equal(capped.version, "1.2");
  assert.deepEqual(capped.versions, ["1.0", "1.1"]);
  assert.ok(Object.isFrozen(exact.versions));
});

Deno.test("config: bad versions are TypeErrors naming them", () => {
  const cases: Array<[StompConfigOptions, RegExp]> = [
    [{ version: "1.3" as "1.2" }, /option version: .*"1\.3"/],
    [{ version: 1.2 as unknown as "1.2" }, /option version: a version must be a string, got number/],
    [{ versions: ["1.2", "2.0" as "1.2"] }, /option versions: .*"2\.0"/],
    [{ versions: [] }, /option versions must be a non-empty array/],
    [{ versions: ["1.1", "1.1"] }, /option versions repeats a version/],
    [{ versions: ["1.2"], version: "1.1" }, /option versions offers 1\.2, above option version 1\.1/],
  ];
  for (const [options, pattern] of cases) {
    assert.throws(() => new StompConfig(URI, options), (e) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, pattern);
      return true;
    });
  }
  assert.throws(
    () => new StompConfig(URI, { version: "1.3" as "1.2" }),
    (e) => e instanceof Error && e.cause !== undefined,
  );
});

Deno.test("config: other bad options are TypeErrors naming them", () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ loginName: "x" }, /unknown StompConfig option "loginName"/],
    [{ login: 5 }, /option login must be a string/],
    [{ login: "a\nb" }, /option login must not contain CR, LF or NUL/],
    [{ host: "a\rb" }, /option host must not contain/],
    [{ check: "yes" }, /option check must be a boolean/],
    [{ tls: "on" }, /option tls must be an object/],
    [{ tls: { caCerts: "PEM" } }, /option tls\.caCerts must be an array/],
    [{ tls: { hostname: 1 } }, /option tls\.hostname must be a string/],
    [{ connector: {} }, /option connector must be a function/],
    [{ heartBeats: [1] }, /option heartBeats must be \[cx, cy\]/],
    [{ heartBeats: [1.5, 0] }, /option heartBeats/],
    [{ connectTimeout: -1 }, /option connectTimeout must be a finite number/],
    [{ connectedTimeout: Infinity }, /option connectedTimeout must be a finite number/],
    [{ connectedTimeout: NaN }, /option connectedTimeout/],
    [{ headers: { login: "x" } }, /CONNECT header "login" has its own option/],
    [{ headers: { "accept-version": "1.0" } }, /"accept-version" has its own option/],
    [{ headers: { "a:b": "x" } }, /bad CONNECT header name "a:b"/],
    [{ headers: { "client-id": "a\nb" } }, /option headers\["client-id"\] must not contain/],
    [{ headers: { "client-id": 7 } }, /option headers\["client-id"\] must be a string/],
  ];
  for (const [options, pattern] of cases) {
    assert.throws(() => new StompConfig(URI, options as StompConfigOptions), (e) => {
      assert.ok(e instanceof TypeError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  }
  assert.throws(() => new StompConfig("tcp://h:1?randomize=maybe"), /option "randomize"/);
});

Deno.test("config: a config without passcode shows none", () => {
  const config = new StompConfig(URI, { login: "guest" });
  assert.equal(JSON.parse(JSON.stringify(config)).passcode, undefined);
  assert.doesNotMatch(Deno.inspect(config), /passcode/);
});
