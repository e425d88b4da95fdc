/**
 * `stompest info [URI]`: connects and prints what was negotiated.
 *
 * @module
 */

import { brokerUri, StompFailoverUri } from "../core.ts";
import { clientSettings, parseCommandLine, takeUri } from "./args.ts";
import type { Command } from "./command.ts";
import { type CliContext, withClient } from "./context.ts";
import { EXIT, UsageError } from "./exit.ts";
import { tlsJson, tlsLines, tlsReportingConnector } from "./tls_summary.ts";

const OPTIONS = { json: { type: "boolean" } } as const;

async function run(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  const uri = takeUri(positionals, ctx.rt.env);
  if (positionals.length > 0) throw new UsageError(`info: unexpected argument "${positionals[0]}"`);
  const ssl = ctx.rt.sslConnector;
  const settings = await clientSettings(uri, values, ctx.rt, {
    reconnect: false,
    ...(ssl ? { connector: tlsReportingConnector(ssl) } : {}),
  });
  const brokers = new StompFailoverUri(uri).brokers;
  return await withClient(ctx, settings, async (client, connected, broker) => {
    const at = broker ?? (brokers.length === 1 ? brokers[0] : undefined);
    // Read while connected: the summary is of this connection.
    const tls = client.tls;
    const info = {
      broker: at ? brokerUri(at) : null,
      version: client.session.version,
      server: client.session.server ?? null,
      session: client.session.id ?? null,
      heartBeat: {
        // What CONNECTED said and what the two sides then settled on.
        offered: connected.headers["heart-beat"] ?? null,
        clientSendsEvery: client.session.clientHeartBeat,
        serverSendsEvery: client.session.serverHeartBeat,
      },
      tls: tlsJson(at?.protocol, tls),
    };
    if (values.json) {
      await ctx.rt.stdout.write(new TextEncoder().encode(JSON.stringify(info) + "\n"));
      return EXIT.ok;
    }
    const beats = (ms: number) => ms === 0 ? "none" : `every ${ms} ms`;
    const lines = [
      `broker      ${info.broker ?? "(one of the failover URI's)"}`,
      `version     ${info.version}`,
      `server      ${info.server ?? "(not given)"}`,
      `session     ${info.session ?? "(not given)"}`,
      `heart-beat  client ${beats(info.heartBeat.clientSendsEvery)}, broker ${
        beats(info.heartBeat.serverSendsEvery)
      } (broker offered ${info.heartBeat.offered ?? "nothing"})`,
      ...tlsLines(at?.protocol, tls),
    ];
    await ctx.rt.stdout.write(new TextEncoder().encode(lines.join("\n") + "\n"));
    return EXIT.ok;
  });
}

/** The `info` command. */
export const info: Command = {
  name: "info",
  summary: "connect and print the negotiated version, server, session, heart-beats, TLS",
  help: `Usage: stompest info [URI] [--json]

Connects, prints what was negotiated, and disconnects. Exit status 0 means the broker accepted
the login: a quick health check. For ssl:// it prints the TLS version and cipher and the
broker's certificate (subject, issuer, alt names, validity, serial, SHA-256 fingerprint) of this
very connection; over wss:// no WebSocket API tells them.

Options:
  --json                one JSON object

Examples:
  stompest info tcp://127.0.0.1:61613
  stompest info ssl://127.0.0.1:61614 --ca /etc/stomp-test-tls/ca.pem --json`,
  run,
};
