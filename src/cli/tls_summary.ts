/**
 * `info`'s TLS section: the connector that lets it report the TLS of the connection it made, and
 * that report as JSON and as text lines.
 *
 * @module
 */

import { selectConnector, type StompBroker, type StompConnector, type StompTlsInfo } from "../core.ts";

/**
 * A connector that opens `ssl://` brokers with `ssl` (the runtime entry's `node:tls` connector:
 * `CliRuntime.sslConnector`) and every other scheme with the runtime's own. Under Node that is
 * the default anyway; under Deno it swaps `Deno.startTls`, which exposes no certificate, for Deno's
 * `node:tls`, which does, so the summary printed is of the very connection made (no second
 * handshake). Trust (`--ca`), client certificates (`--cert`/`--key`) and the name check (the URI's
 * host against the certificate) work the same on both.
 *
 * @example
 * ```ts ignore
 * const client = new AsyncStomp("ssl://127.0.0.1:61614", { connector: tlsReportingConnector(nodeConnector) });
 * ```
 */
export function tlsReportingConnector(ssl: StompConnector): StompConnector {
  return (broker, options) => (broker.protocol === "ssl" ? ssl : selectConnector(broker))(broker, options);
}

/** What `info --json` prints as `tls` on a WebSocket, where no API tells the TLS details. */
const OVER_WEBSOCKET = {
  protocol: null,
  cipher: null,
  verified: null,
  peerCertificate: null,
  unavailable: "not available over WebSocket",
} as const;

/**
 * `info --json`'s `tls`: false on a plain connection, the connection's {@link StompTlsInfo} (dates as
 * ISO strings), the same keys with null values and why (`unavailable`) where TLS is used but not
 * described, or null when the broker is not known.
 *
 * @example
 * ```ts ignore
 * console.log(JSON.stringify(tlsJson("tcp", undefined))); // false
 * ```
 */
export function tlsJson(
  protocol: StompBroker["protocol"] | undefined,
  tls: StompTlsInfo | undefined,
): unknown {
  if (tls) return tls;
  if (protocol === undefined) return null;
  if (protocol === "tcp" || protocol === "ws") return false;
  return protocol === "wss"
    ? OVER_WEBSOCKET
    : { ...OVER_WEBSOCKET, unavailable: "not reported by the connector" };
}

const seconds = (date: Date) =>
  isNaN(date.getTime()) ? "(unknown)" : date.toISOString().replace(/\.000Z$/, "Z");

/**
 * `info`'s text lines for TLS: `tls  no`, or the protocol and cipher then one indented line per
 * certificate field (the fingerprint in full: what a user compares with `openssl x509
 * -fingerprint -sha256`).
 *
 * @example
 * ```ts ignore
 * console.log(tlsLines("tcp", undefined)); // ["tls         no"]
 * ```
 */
export function tlsLines(
  protocol: StompBroker["protocol"] | undefined,
  tls: StompTlsInfo | undefined,
): string[] {
  if (!tls) {
    const why = protocol === undefined
      ? "unknown"
      : protocol === "tcp" || protocol === "ws"
      ? "no"
      : `yes (details ${
        protocol === "wss" ? "not available over WebSocket" : "not reported by the connector"
      })`;
    return [`tls         ${why}`];
  }
  const lines = [
    `tls         ${tls.protocol}, ${tls.cipher}, certificate ${tls.verified ? "verified" : "NOT verified"}`,
  ];
  const cert = tls.peerCertificate;
  if (!cert) return [...lines, "  (the broker presented no certificate)"];
  return [
    ...lines,
    `  subject   ${cert.subject}`,
    `  issuer    ${cert.issuer}`,
    `  alt names ${cert.subjectAltName.length ? cert.subjectAltName.join(", ") : "(none)"}`,
    `  valid     ${seconds(cert.validFrom)} to ${seconds(cert.validTo)}`,
    `  serial    ${cert.serialNumber}`,
    `  sha256    ${cert.fingerprint256}`,
  ];
}
