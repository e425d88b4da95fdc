/**
 * The `stompest` command line under Deno: `deno task cli --help` in a checkout, or
 * `deno run -A jsr:@stompest/stompest/cli --help`. The npm package runs the same commands under
 * Node as `npx stompest` (src/cli/node.ts).
 *
 * @example
 * ```sh
 * deno run -A cli.ts send tcp://127.0.0.1:61613 /queue/a hello
 * ```
 *
 * @module
 */

import { nodeConnector } from "./mod.ts"; // registers Deno's connectors
import { main } from "./src/cli/main.ts";
import { denoRuntime } from "./src/cli/runtime_deno.ts";

// `info` connects ssl:// through Deno's node:tls, the one TLS API here that shows the certificate.
if (import.meta.main) Deno.exit(await main({ ...denoRuntime(), sslConnector: nodeConnector }));
