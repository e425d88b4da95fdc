#!/usr/bin/env node
/**
 * The `stompest` command line under Node: the npm package's `bin` (`npx stompest --help`).
 *
 * @module
 */

import process from "node:process";
import { nodeConnector } from "../node.ts"; // registers the node:net / node:tls connector
import { main } from "./main.ts";
import { nodeRuntime } from "./runtime_node.ts";

// process.exit, not exitCode: a pending read of standard input would keep Node running.
process.exit(await main({ ...nodeRuntime(), sslConnector: nodeConnector }));
