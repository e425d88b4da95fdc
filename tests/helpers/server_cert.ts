/**
 * The brokers' server certificate as read straight from its file, independently of any TLS
 * connection: what a TLS summary of a connection to RabbitMQ or ActiveMQ must match. Both brokers
 * serve `/etc/stomp-test-tls/server.pem` (scripts/brokers.sh: RabbitMQ's certfile, ActiveMQ's
 * keystore made from it). The fingerprint is computed here with WebCrypto over the DER bytes; the
 * names, serial and dates come from `openssl x509`.
 *
 * @module
 */

/** The certificate file both brokers serve. */
export const SERVER_CERT_PATH = "/etc/stomp-test-tls/server.pem";

/** What a peer-certificate summary of the brokers' certificate must say (dates as ISO strings). */
export interface ExpectedCertificate {
  readonly subject: string;
  readonly issuer: string;
  readonly subjectAltName: readonly string[];
  readonly serialNumber: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly fingerprint256: string;
}

/** SHA-256 over the DER of the first certificate in `pem`, as `AB:CD:...`. */
export async function pemFingerprint256(pem: string): Promise<string> {
  const base64 = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(pem)?.[1];
  if (!base64) throw new Error("no certificate in the PEM text");
  const der = Uint8Array.from(atob(base64.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return [...digest].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/** `openssl x509 -noout ARGS` on the file, stdout as text. */
async function openssl(path: string, args: readonly string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("openssl", {
    args: ["x509", "-in", path, "-noout", ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(10_000),
  }).output();
  const dec = new TextDecoder();
  if (code !== 0) throw new Error(`openssl x509 ${args.join(" ")}: ${dec.decode(stderr)}`);
  return dec.decode(stdout);
}

/** `name=value` of openssl's output. */
function field(text: string, name: string): string {
  const m = new RegExp(`^${name}=(.*)$`, "m").exec(text);
  if (!m) throw new Error(`openssl printed no ${name}: ${text}`);
  return m[1].trim();
}

/**
 * The summary the brokers' certificate file gives.
 *
 * @example
 * ```ts ignore
 * const expected = await expectedCertificate();
 * console.log(expected.subject); // "CN=localhost"
 * ```
 */
export async function expectedCertificate(path = SERVER_CERT_PATH): Promise<ExpectedCertificate> {
  // RFC 4514 escaping, attributes in certificate order, ", " between them: the library's form.
  const nameopt =
    "esc_2253,esc_ctrl,esc_msb,utf8,dump_nostr,dump_unknown,dump_der,sep_comma_plus_space,sname";
  const [names, rest, san, pem] = await Promise.all([
    openssl(path, ["-subject", "-issuer", "-nameopt", nameopt]),
    openssl(path, ["-serial", "-startdate", "-enddate"]),
    openssl(path, ["-ext", "subjectAltName"]),
    Deno.readTextFile(path),
  ]);
  const altNames = san.split("\n").slice(1).join(",").split(",").map((s) => s.trim()).filter((s) => s);
  return {
    subject: field(names, "subject"),
    issuer: field(names, "issuer"),
    subjectAltName: altNames,
    serialNumber: field(rest, "serial").toUpperCase(),
    validFrom: new Date(field(rest, "notBefore")).toISOString(),
    validTo: new Date(field(rest, "notAfter")).toISOString(),
    fingerprint256: await pemFingerprint256(pem),
  };
}
