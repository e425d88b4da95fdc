/**
 * How `subscribe` prints a message: the body alone, a JSON object, or headers then body.
 *
 * @module
 */

import type { StompFrame } from "../core.ts";

/** `subscribe`'s output formats. */
export type MessageFormat = "body" | "json" | "headers";

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Base64 of `bytes` (in slices: `String.fromCharCode` takes a bounded argument list).
 *
 * @example
 * ```ts
 * import { base64 } from "./format.ts";
 * console.log(base64(new Uint8Array([0, 255]))); // "AP8="
 * ```
 */
export function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let at = 0; at < bytes.length; at += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  }
  return btoa(binary);
}

/**
 * The body as text when it is valid UTF-8 (a BOM kept), else undefined.
 *
 * @example
 * ```ts
 * import { utf8OrUndefined } from "./format.ts";
 * console.log(utf8OrUndefined(new Uint8Array([0xff]))); // undefined
 * ```
 */
export function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const NL = new Uint8Array([10]);

/**
 * The bytes printed for one message. `json`: one line `{"headers":{...},"body":"text"}`, or
 * `"bodyBase64"` instead of `"body"` when the body is not UTF-8; `body`: the body's bytes and a
 * newline; `headers`: `name:value` lines as received, a blank line, the body and a newline.
 *
 * @example
 * ```ts
 * import { StompFrame } from "../core.ts";
 * import { formatMessage } from "./format.ts";
 * const frame = new StompFrame("MESSAGE", { destination: "/queue/a" }, "hi");
 * console.log(new TextDecoder().decode(formatMessage(frame, "json"))); // {"headers":{"destination":"/queue/a"},"body":"hi"}
 * ```
 */
export function formatMessage(frame: StompFrame, format: MessageFormat): Uint8Array {
  switch (format) {
    case "body":
      return concat(frame.body, NL);
    case "json": {
      const text = utf8OrUndefined(frame.body);
      const object = text === undefined
        ? { headers: frame.headers, bodyBase64: base64(frame.body) }
        : { headers: frame.headers, body: text };
      return encoder.encode(JSON.stringify(object) + "\n");
    }
    case "headers": {
      const head = frame.rawHeaders.map(([name, value]) => `${name}:${value}\n`).join("") + "\n";
      return concat(encoder.encode(head), frame.body, NL);
    }
  }
}
