/**
 * The test broker's TCP listener on Node (`node:net`), the counterpart of `listen_deno.ts`; the
 * npm package's Node testing entry makes it the default.
 *
 * @module
 */

import * as net from "node:net";
import { nodeConnection } from "../connection/connectors/node.ts";
import { connectionError, firstEvent } from "../connection/connectors/common.ts";
import type { StompTestListen, StompTestListener } from "./listener.ts";

/**
 * Listens with `net.createServer`; rejects with a StompConnectionError when the address cannot be
 * bound.
 *
 * @example
 * ```ts ignore
 * import { listenNode } from "./listen_node.ts";
 * const listener = await listenNode({ hostname: "127.0.0.1", port: 0 }, (conn) => conn.close());
 * console.log(listener.port > 0); // true
 * await listener.close();
 * ```
 */
export const listenNode: StompTestListen = async (address, accept): Promise<StompTestListener> => {
  const uri = `tcp://${address.hostname}:${address.port}`;
  const server = net.createServer((socket) => {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    accept(nodeConnection(socket, `tcp://${hostname}:${port} <- ${remote}`));
  });
  server.listen({ host: address.hostname, port: address.port });
  const first = await firstEvent(server, ["listening", "error"]);
  if (first.name === "error") throw connectionError(uri, "cannot listen", first.value);
  const bound = server.address() as net.AddressInfo;
  const hostname = bound.address;
  const port = bound.port;
  // Listening must not keep a test process alive on its own; accepted sockets do until closed.
  server.unref();
  return {
    hostname,
    port,
    close(): Promise<void> {
      // The port is released at once; close()'s callback would also wait for the accepted
      // connections, which belong to the broker.
      if (server.listening) server.close();
      return Promise.resolve();
    },
  };
};
