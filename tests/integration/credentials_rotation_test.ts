// Credentials that change between reconnects, against RabbitMQ: a user of its own whose password is
// changed with rabbitmqctl, then its connection cut (rabbitmqctl 3.10 lists no STOMP connection to
// close); beforeConnect hands the client the new password and the reconnect succeeds, where the
// old one is refused. Needs root (CI runs as root) for rabbitmqctl.
import assert from "node:assert/strict";
import { AsyncStomp, type StompStatusEvent } from "../../mod.ts";
import { brokerTest, RABBITMQ, uniqueQueue } from "../helpers/brokers.ts";
import { TappedConnector } from "../helpers/connectors.ts";
import { statusUntil } from "./async_helpers.ts";

const WAIT = { timeout: 10_000 };

/** rabbitmqctl as the rabbitmq user (as scripts/brokers.sh runs it), bounded; throws with its output. */
async function rabbitmqctl(...args: string[]): Promise<string> {
  const command = new Deno.Command("timeout", {
    args: [
      "-k",
      "5",
      "60",
      "setpriv",
      "--reuid=rabbitmq",
      "--regid=rabbitmq",
      "--init-groups",
      "/usr/lib/rabbitmq/bin/rabbitmqctl",
      "-q",
      ...args,
    ],
    env: { HOME: "/var/lib/rabbitmq", USER: "rabbitmq", LOGNAME: "rabbitmq" },
    cwd: "/var/lib/rabbitmq",
    stdin: "null",
  });
  const { code, stdout, stderr } = await command.output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) throw new Error(`rabbitmqctl ${args[0]}: ${text}${new TextDecoder().decode(stderr)}`);
  return text;
}

brokerTest(
  "rabbitmq: a password changed between reconnects is picked up through beforeConnect",
  RABBITMQ.tcp,
  async (e) => {
    const user = `stompest-rotate-${crypto.randomUUID().slice(0, 8)}`;
    let password = `pw-${crypto.randomUUID()}`;
    try {
      await rabbitmqctl("add_user", user, password);
    } catch (error) {
      // setpriv needs root (CI runs as root); elsewhere there is no way to change a password.
      if (/Operation not permitted|setpriv/.test(String(error))) return console.log(`skipped: ${error}`);
      throw error;
    }
    try {
      await rabbitmqctl("set_permissions", "-p", "/", user, ".*", ".*", ".*");
      const used: string[] = [];
      const tap = new TappedConnector();
      const client = new AsyncStomp(`failover:(${e.uri})?initialReconnectDelay=50&maxReconnectAttempts=20`, {
        connector: tap.connector,
        login: user,
        passcode: "not-this-one",
        host: e.host,
        beforeConnect: () => {
          used.push(password);
          return { passcode: password };
        },
      });
      const events = client.status();
      await client.connect();
      const first = password;
      password = `pw-${crypto.randomUUID()}`;
      await rabbitmqctl("change_password", user, password);
      // A forced reconnect: the socket is cut under the client.
      await tap.closeSocket();
      let connects = 0;
      const seen: StompStatusEvent[] = await statusUntil(
        events,
        (ev) => ev.type === "connected" && ++connects === 2,
      );
      assert.ok(seen.some((ev) => ev.type === "disconnected"));
      assert.equal(tap.opened, 2);
      assert.deepEqual(
        used,
        [first, password],
        "one beforeConnect per connect, the fresh password the second time",
      );
      const queue = uniqueQueue("rotated");
      await client.send(queue, "after rotation", {}, { receipt: true, ...WAIT });
      await client.disconnect(WAIT);
    } finally {
      await rabbitmqctl("delete_user", user);
    }
  },
);
