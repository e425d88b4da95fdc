/**
 * `stompest/testing` under Node (the npm package's `"node"` condition): the in-process test broker
 * of `./mod.ts`, whose `listen()` opens a `node:net` listener instead of the Deno one.
 *
 * @example
 * ```ts ignore
 * import { StompTestBroker } from "stompest/testing";
 * await using broker = new StompTestBroker({ users: { guest: "guest" } });
 * const { uri } = await broker.listen(); // tcp://127.0.0.1:<port>, over node:net
 * ```
 *
 * @module
 */

import {
  type StompTestAddress,
  StompTestBroker as BaseBroker,
  type StompTestListenOptions,
} from "./broker.ts";
import { listenNode } from "./listen_node.ts";

export * from "./mod.ts";
export { listenNode } from "./listen_node.ts";

/**
 * The test broker with a Node default for {@link StompTestBroker.listen}; everything else is the
 * broker of `./broker.ts`.
 *
 * @example
 * ```ts ignore
 * import { StompTestBroker } from "stompest/testing";
 * const broker = new StompTestBroker();
 * const { port } = await broker.listen({ port: 0 });
 * await broker.close();
 * ```
 */
export class StompTestBroker extends BaseBroker {
  /** Listens on loopback TCP through `node:net` unless `options.listen` names another listener. */
  override listen(options: StompTestListenOptions = {}): Promise<StompTestAddress> {
    return super.listen({ listen: listenNode, ...options });
  }
}
