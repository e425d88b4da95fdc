/**
 * A `node:tls` socket's TLS session as a {@link StompTlsInfo}: what the Node connector reports as
 * its connection's `tls`. Node, Bun and Deno's Node layer all answer `getProtocol`, `getCipher`
 * and `getPeerCertificate` the same way; a runtime that answers less gets less, never an error.
 *
 * @module
 */

import type { TLSSocket } from "node:tls";
import type { StompPeerCertificate, StompTlsInfo } from "../tls_info.ts";

/** The part of `node:tls`'s `PeerCertificate` a summary needs (Node 22 adds the `*Date` fields). */
export interface NodePeerCertificateLike {
  readonly subject?: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly issuer?: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly subjectaltname?: string;
  readonly valid_from?: string;
  readonly valid_to?: string;
  readonly validFromDate?: Date;
  readonly validToDate?: Date;
  readonly serialNumber?: string;
  readonly fingerprint256?: string;
}

/**
 * The TLS session of a connected `node:tls` socket, or undefined when the runtime reports no
 * protocol or cipher, or throws when asked (a description never fails a connection). `insecure`:
 * the connection was made with `tls.insecure`, so nothing counts as verified whatever the socket
 * says (the name check was switched off).
 *
 * @example
 * ```ts ignore
 * import * as tls from "node:tls";
 * import { describeTlsSocket } from "./node_tls.ts";
 * const socket = tls.connect({ host: "127.0.0.1", port: 61614, ca: [caPem] });
 * socket.once("secureConnect", () => console.log(describeTlsSocket(socket, false)?.peerCertificate?.subject));
 * ```
 */
export function describeTlsSocket(socket: TLSSocket, insecure: boolean): StompTlsInfo | undefined {
  let protocol: string | null | undefined;
  let cipher: { name: string; standardName?: string } | undefined;
  let peer: StompPeerCertificate | undefined;
  try {
    protocol = socket.getProtocol?.();
    cipher = socket.getCipher?.();
    peer = peerCertificateOf(socket.getPeerCertificate?.() as unknown as NodePeerCertificateLike | undefined);
  } catch {
    // A runtime whose node:tls cannot describe its session: the connection itself is fine.
    return undefined;
  }
  if (!protocol || !cipher) return undefined;
  return Object.freeze({
    protocol,
    cipher: cipher.standardName || cipher.name,
    verified: !insecure && socket.authorized === true,
    ...(peer ? { peerCertificate: peer } : {}),
  });
}

/**
 * The summary of a certificate as `node:tls` describes it; undefined for the empty object Node
 * returns when the peer sent no certificate, or one without a fingerprint.
 *
 * @example
 * ```ts
 * import { peerCertificateOf } from "./node_tls.ts";
 * const cert = peerCertificateOf({
 *   subject: { CN: "localhost" },
 *   issuer: { CN: "stomp-test-ca" },
 *   subjectaltname: "DNS:localhost, IP Address:127.0.0.1",
 *   valid_from: "Nov 29 10:43:22 2026 GMT",
 *   valid_to: "Nov 26 10:43:22 2036 GMT",
 *   serialNumber: "6EE7",
 *   fingerprint256: "D1:34",
 * });
 * console.log(cert?.subjectAltName); // ["DNS:localhost", "IP Address:127.0.0.1"]
 * ```
 */
export function peerCertificateOf(
  cert: NodePeerCertificateLike | undefined,
): StompPeerCertificate | undefined {
  if (!cert?.fingerprint256) return undefined;
  return Object.freeze({
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    subjectAltName: Object.freeze(altNames(cert.subjectaltname)),
    validFrom: cert.validFromDate ?? new Date(cert.valid_from ?? NaN),
    validTo: cert.validToDate ?? new Date(cert.valid_to ?? NaN),
    serialNumber: (cert.serialNumber ?? "").toUpperCase(),
    fingerprint256: cert.fingerprint256.toUpperCase(),
  });
}

/** Characters RFC 4514 escapes inside an attribute value. */
const SPECIAL = /[,+"\\<>;]/g;

function distinguishedName(name: NodePeerCertificateLike["subject"]): string {
  if (!name) return "";
  const parts: string[] = [];
  // Node lists the attributes in certificate order, a repeated one (two OUs) as an array.
  for (const [type, value] of Object.entries(name)) {
    if (value === undefined) continue;
    for (const one of typeof value === "string" ? [value] : value) {
      parts.push(`${type}=${one.replace(SPECIAL, (c) => `\\${c}`)}`);
    }
  }
  return parts.join(", ");
}

/**
 * Node's `subjectaltname` ("DNS:a, IP Address:1.2.3.4") as a list. Node quotes a value holding a
 * comma or quote as a JSON string (`DNS:"a, b"`), so splitting honours quotes and unquotes.
 */
function altNames(text: string | undefined): string[] {
  if (!text) return [];
  const names: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (i === text.length || (c === "," && !quoted)) {
      const entry = text.slice(start, i).trim();
      if (entry) names.push(unquote(entry));
      start = i + 1;
    }
  }
  return names;
}

function unquote(entry: string): string {
  const colon = entry.indexOf(":");
  const value = entry.slice(colon + 1);
  if (colon < 0 || !value.startsWith('"')) return entry;
  try {
    return `${entry.slice(0, colon)}:${JSON.parse(value)}`;
  } catch {
    return entry;
  }
}
