/**
 * Mutual-TLS fixtures made by `scripts/brokers.sh` (client_certs): a client certificate signed by
 * the test CA, one signed by a CA nobody trusts, and ActiveMQ's listener that requires a client
 * certificate (stomp+ssl 61626).
 *
 * @module
 */

import { type BrokerEndpoint, endpoint } from "./brokers.ts";

const DIR = "/etc/stomp-test-tls";
const read = (name: string) => Deno.readTextFile(`${DIR}/${name}`).catch(() => undefined);

/** A PEM certificate and its key. */
export interface ClientCert {
  readonly cert: string;
  readonly key: string;
}

async function pair(name: string): Promise<ClientCert | undefined> {
  const [cert, key] = await Promise.all([read(`${name}.pem`), read(`${name}.key`)]);
  return cert && key ? { cert, key } : undefined;
}

/**
 * The client certificate the brokers trust (signed by the test CA).
 *
 * @example
 * ```ts ignore
 * import { CLIENT_CERT } from "./tls.ts";
 * const tls = { caCerts: [CA_PEM!], ...CLIENT_CERT! };
 * ```
 */
export const CLIENT_CERT: ClientCert | undefined = await pair("client");

/**
 * A client certificate from a CA the brokers do not trust.
 *
 * @example
 * ```ts ignore
 * import { ROGUE_CERT } from "./tls.ts";
 * ```
 */
export const ROGUE_CERT: ClientCert | undefined = await pair("rogue-client");

const mtls = await endpoint("activemq", { protocol: "ssl", host: "127.0.0.1", port: 61626 }, "localhost");

/**
 * ActiveMQ's STOMP+TLS listener that requires a client certificate signed by the test CA; counted
 * down when the certificates are missing.
 *
 * @example
 * ```ts ignore
 * import { ACTIVEMQ_MTLS } from "./tls.ts";
 * console.log(ACTIVEMQ_MTLS.uri); // "ssl://127.0.0.1:61626"
 * ```
 */
export const ACTIVEMQ_MTLS: BrokerEndpoint = CLIENT_CERT && ROGUE_CERT
  ? mtls
  : { ...mtls, available: false, reason: `no client certificates in ${DIR} (run scripts/brokers.sh start)` };
