/**
 * What TLS a connection negotiated: the protocol, the cipher suite and a summary of the broker's
 * certificate, for health checks ("which certificate is that broker serving, and until when?")
 * and audit logs. A connector that can see its TLS session reports it as
 * `StompConnection.tls`; the clients show the current connection's as `client.tls`.
 *
 * Only the Node connector (`node:tls`: Node, Bun, and Deno's Node layer) can: `Deno.TlsConn`
 * exposes no certificate, cipher or version, and no WebSocket API (browsers, Deno, Node's global
 * one, the `ws` package's public one) exposes its TLS session. There `tls` stays absent rather
 * than guessed: absent means "not known", never "not encrypted".
 *
 * @module
 */

/**
 * The TLS session of one connection, as its connector saw it right after the handshake.
 *
 * @example
 * ```ts
 * import type { StompTlsInfo } from "./tls_info.ts";
 * function describe(tls: StompTlsInfo): string {
 *   const cert = tls.peerCertificate;
 *   return `${tls.protocol} ${tls.cipher}${cert ? `, ${cert.subject} until ${cert.validTo.toISOString()}` : ""}`;
 * }
 * ```
 */
export interface StompTlsInfo {
  /** The negotiated protocol version, e.g. `"TLSv1.3"`. */
  readonly protocol: string;
  /** The negotiated cipher suite by its standard (IANA) name, e.g. `"TLS_AES_256_GCM_SHA384"`. */
  readonly cipher: string;
  /**
   * Whether the broker's certificate chain and name were verified: true unless
   * `tls.insecure` skipped the checks (a connection that fails them never opens).
   */
  readonly verified: boolean;
  /** The broker's (leaf) certificate; absent when the broker presented none. */
  readonly peerCertificate?: StompPeerCertificate;
}

/**
 * A summary of an X.509 certificate: what identifies it and how long it is valid. No key
 * material: the fingerprint identifies it exactly (compare with
 * `openssl x509 -in cert.pem -noout -fingerprint -sha256`).
 *
 * @example
 * ```ts
 * import type { StompPeerCertificate } from "./tls_info.ts";
 * function daysLeft(cert: StompPeerCertificate, now = Date.now()): number {
 *   return Math.floor((cert.validTo.getTime() - now) / 86_400_000);
 * }
 * ```
 */
export interface StompPeerCertificate {
  /**
   * The subject's distinguished name, attributes in certificate order, e.g.
   * `"C=DE, O=Example, CN=broker.example.com"` (`,`, `+`, `"`, `\`, `<`, `>`, `;` in a value
   * escaped with `\` as RFC 4514 does).
   */
  readonly subject: string;
  /** The issuer's distinguished name, in the same form as {@link StompPeerCertificate.subject}. */
  readonly issuer: string;
  /**
   * The subject alternative names as `type:value`, in certificate order, e.g.
   * `["DNS:localhost", "IP Address:127.0.0.1"]`; empty when the certificate has none.
   */
  readonly subjectAltName: readonly string[];
  /** Not valid before this instant. */
  readonly validFrom: Date;
  /** Not valid after this instant. */
  readonly validTo: Date;
  /** The serial number in upper-case hexadecimal, e.g. `"6EE726BE12503281655F58D197A44DA4219B1880"`. */
  readonly serialNumber: string;
  /** The SHA-256 fingerprint of the DER certificate: upper-case hex byte pairs joined by `:`. */
  readonly fingerprint256: string;
}
