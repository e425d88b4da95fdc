// The brokers' server certificate read straight from its file (both RabbitMQ and ActiveMQ serve
// /etc/stomp-test-tls/server.pem), independently of any TLS connection: the SHA-256 fingerprint
// hashed here over the DER bytes, names, serial and dates from `openssl x509`. Mirrors
// tests/helpers/server_cert.ts with Node APIs.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

export const SERVER_CERT_PATH = "/etc/stomp-test-tls/server.pem";

function openssl(args) {
  return execFileSync("openssl", ["x509", "-in", SERVER_CERT_PATH, "-noout", ...args], {
    encoding: "utf8",
    timeout: 10_000,
  });
}

function field(text, name) {
  const m = new RegExp(`^${name}=(.*)$`, "m").exec(text);
  if (!m) throw new Error(`openssl printed no ${name}: ${text}`);
  return m[1].trim();
}

/** What a summary of the brokers' certificate must say (dates as ISO strings). */
export function expectedCertificate() {
  const nameopt =
    "esc_2253,esc_ctrl,esc_msb,utf8,dump_nostr,dump_unknown,dump_der,sep_comma_plus_space,sname";
  const names = openssl(["-subject", "-issuer", "-nameopt", nameopt]);
  const rest = openssl(["-serial", "-startdate", "-enddate"]);
  const san = openssl(["-ext", "subjectAltName"]);
  const pem = readFileSync(SERVER_CERT_PATH, "utf8");
  const base64 = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(pem)[1];
  const digest = createHash("sha256").update(Buffer.from(base64.replace(/\s+/g, ""), "base64")).digest();
  return {
    subject: field(names, "subject"),
    issuer: field(names, "issuer"),
    subjectAltName: san.split("\n").slice(1).join(",").split(",").map((s) => s.trim()).filter((s) => s),
    serialNumber: field(rest, "serial").toUpperCase(),
    validFrom: new Date(field(rest, "notBefore")).toISOString(),
    validTo: new Date(field(rest, "notAfter")).toISOString(),
    fingerprint256: [...digest].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":"),
  };
}
