// The TLS summary without a network: node:tls's certificate objects turned into
// StompPeerCertificate (names with repeated and escaped attributes, quoted alt names, a missing
// certificate), a socket that reports less, and `info`'s text and JSON forms of each case.
import assert from "node:assert/strict";
import type { TLSSocket } from "node:tls";
import { describeTlsSocket, peerCertificateOf } from "../src/connection/connectors/node_tls.ts";
import { tlsJson, tlsLines } from "../src/cli/tls_summary.ts";
import type { StompTlsInfo } from "../mod.ts";

const NODE_CERT = {
  subject: { C: "DE", O: "Example, Inc", OU: ["ops", "mq"], CN: "broker+1.example.com" },
  issuer: { CN: "Example CA" },
  subjectaltname: 'DNS:broker.example.com, DNS:"odd, name", IP Address:10.0.0.1',
  valid_from: "Nov 29 10:43:22 2026 GMT",
  valid_to: "Nov 26 10:43:22 2036 GMT",
  serialNumber: "6ee726be",
  fingerprint256: "d1:34:40",
};

Deno.test("peerCertificateOf: names in certificate order, RFC 4514 escapes, quoted alt names, UTC dates", () => {
  const cert = peerCertificateOf(NODE_CERT)!;
  assert.equal(cert.subject, "C=DE, O=Example\\, Inc, OU=ops, OU=mq, CN=broker\\+1.example.com");
  assert.equal(cert.issuer, "CN=Example CA");
  assert.deepEqual(cert.subjectAltName, ["DNS:broker.example.com", "DNS:odd, name", "IP Address:10.0.0.1"]);
  assert.equal(cert.validFrom.toISOString(), "2026-11-29T10:43:22.000Z");
  assert.equal(cert.validTo.toISOString(), "2036-11-26T10:43:22.000Z");
  assert.equal(cert.serialNumber, "6EE726BE");
  assert.equal(cert.fingerprint256, "D1:34:40");
  assert.ok(Object.isFrozen(cert) && Object.isFrozen(cert.subjectAltName));
});

Deno.test("peerCertificateOf: no certificate (Node's empty object) or no fingerprint gives none", () => {
  assert.equal(peerCertificateOf(undefined), undefined);
  assert.equal(peerCertificateOf({}), undefined);
  assert.equal(peerCertificateOf({ ...NODE_CERT, fingerprint256: "" }), undefined);
  assert.deepEqual(peerCertificateOf({ fingerprint256: "AA" })?.subjectAltName, []);
});

/** A TLSSocket answering only what `answers` holds. */
function fakeSocket(answers: Record<string, unknown>): TLSSocket {
  return {
    getProtocol: () => answers.protocol ?? null,
    getCipher: () => answers.cipher,
    getPeerCertificate: () => answers.cert ?? {},
    authorized: answers.authorized ?? false,
  } as unknown as TLSSocket;
}

Deno.test("describeTlsSocket: what the socket says; verified only when authorized and not insecure", () => {
  const socket = fakeSocket({
    protocol: "TLSv1.3",
    cipher: { name: "TLS_AES_128_GCM_SHA256", standardName: "TLS_AES_128_GCM_SHA256" },
    cert: NODE_CERT,
    authorized: true,
  });
  const tls = describeTlsSocket(socket, false)!;
  assert.equal(tls.protocol, "TLSv1.3");
  assert.equal(tls.cipher, "TLS_AES_128_GCM_SHA256");
  assert.equal(tls.verified, true);
  assert.equal(tls.peerCertificate?.issuer, "CN=Example CA");
  assert.equal(describeTlsSocket(socket, true)?.verified, false, "insecure: the name was not checked");
  assert.equal(describeTlsSocket(fakeSocket({ cipher: { name: "x" } }), false), undefined, "no protocol");
  const throwing = fakeSocket({ protocol: "TLSv1.3" });
  throwing.getCipher = () => {
    throw new Error("not implemented");
  };
  assert.equal(describeTlsSocket(throwing, false), undefined, "a runtime that throws when asked");
  const bare = describeTlsSocket(
    fakeSocket({ protocol: "TLSv1.2", cipher: { name: "ECDHE-RSA-AES128-GCM-SHA256" } }),
    false,
  );
  assert.deepEqual(bare, { protocol: "TLSv1.2", cipher: "ECDHE-RSA-AES128-GCM-SHA256", verified: false });
});

const TLS: StompTlsInfo = {
  protocol: "TLSv1.3",
  cipher: "TLS_AES_256_GCM_SHA384",
  verified: true,
  peerCertificate: peerCertificateOf(NODE_CERT),
};

Deno.test("info's TLS lines: no, unknown, WebSocket, not reported, the summary, NOT verified, no certificate", () => {
  assert.deepEqual(tlsLines("tcp", undefined), ["tls         no"]);
  assert.deepEqual(tlsLines("ws", undefined), ["tls         no"]);
  assert.deepEqual(tlsLines(undefined, undefined), ["tls         unknown"]);
  assert.deepEqual(tlsLines("wss", undefined), ["tls         yes (details not available over WebSocket)"]);
  assert.deepEqual(tlsLines("ssl", undefined), ["tls         yes (details not reported by the connector)"]);
  assert.deepEqual(tlsLines("ssl", TLS), [
    "tls         TLSv1.3, TLS_AES_256_GCM_SHA384, certificate verified",
    "  subject   C=DE, O=Example\\, Inc, OU=ops, OU=mq, CN=broker\\+1.example.com",
    "  issuer    CN=Example CA",
    "  alt names DNS:broker.example.com, DNS:odd, name, IP Address:10.0.0.1",
    "  valid     2026-11-29T10:43:22Z to 2036-11-26T10:43:22Z",
    "  serial    6EE726BE",
    "  sha256    D1:34:40",
  ]);
  assert.match(tlsLines("ssl", { ...TLS, verified: false })[0], /certificate NOT verified$/);
  const none = tlsLines("ssl", { protocol: "TLSv1.3", cipher: "X", verified: true });
  assert.deepEqual(none.slice(1), ["  (the broker presented no certificate)"]);
});

Deno.test("info's TLS JSON: false, null, the summary with ISO dates, null fields with the reason", () => {
  assert.equal(tlsJson("tcp", undefined), false);
  assert.equal(tlsJson(undefined, undefined), null);
  const json = JSON.parse(JSON.stringify(tlsJson("ssl", TLS)));
  assert.equal(json.peerCertificate.validTo, "2036-11-26T10:43:22.000Z");
  assert.equal(json.verified, true);
  assert.deepEqual(tlsJson("wss", undefined), {
    protocol: null,
    cipher: null,
    verified: null,
    peerCertificate: null,
    unavailable: "not available over WebSocket",
  });
  assert.equal(
    (tlsJson("ssl", undefined) as { unavailable: string }).unavailable,
    "not reported by the connector",
  );
});
