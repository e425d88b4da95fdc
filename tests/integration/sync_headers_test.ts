// Header text through the real brokers: 1.1/1.2 escapes (`:` `\n` `\\`, and `\r` in 1.2) and
// UTF-8 round-tripped exactly; in 1.0, which has no escapes, what can be represented.
import assert from "node:assert/strict";
import { SPEC } from "../../mod.ts";
import { uniqueQueue } from "../helpers/brokers.ts";
import { collect, expectMessage, matrix, open } from "./sync_helpers.ts";

/** Header values that need escaping in 1.1+, and text that only needs UTF-8. */
const ESCAPED: Readonly<Record<string, string>> = {
  "x-colon": "key:value:more",
  "x-newline": "line 1\nline 2\n",
  "x-backslash": "C:\\path\\to\\file",
  // Literal escape sequences: a decoder that unescapes twice, or not at all, changes them.
  "x-literal-escapes": "\\n \\c \\\\ \\r",
  "x-everything": ":\\\n:\\n",
  "x-utf8": "héllo wörld ✓ 日本語 🚀",
  "x-ключ": "значение",
  "x-spaces": "  padded  ",
};

matrix("escaped and UTF-8 header values round-trip exactly through the broker", async (c) => {
  const headers: Record<string, string> = { ...ESCAPED };
  // A raw CR can be escaped only in 1.2 (`\r`); 1.1 writes it raw and RabbitMQ refuses it.
  if ("\r" in SPEC[c.version].escapes) headers["x-carriage-return"] = "a\rb\r\n";
  const queue = uniqueQueue("sync-headers");
  await using client = c.client();
  await open(client, c.version);
  // The subscription id is escaped too and must come back on every MESSAGE.
  const id = c.target.quirks.escapedSubscriptionIds ? "sub:1\\a\nb ✓" : "sub-1 ✓";
  await client.subscribe(queue, { id }, "sub");
  await client.send(queue, "body", headers, "sent");
  const [message] = await collect(client, ["sub", "sent"], 1);
  assert.equal(message.headers.subscription, id);
  for (const [name, value] of Object.entries(headers)) {
    assert.equal(message.headers[name], value, `header ${name}`);
  }
  assert.equal(message.text(), "body");
  await client.disconnect({ receipt: "bye" });
}, { versions: ["1.1", "1.2"] });

// Not representable in 1.0 through these brokers: a line feed (refused by the client: it would
// inject a header), a backslash (both brokers unescape 1.0 input; RabbitMQ closes the connection
// on an unknown escape), leading or trailing spaces (RabbitMQ trims the front, ActiveMQ both ends).
matrix("1.0 (no escapes): plain, UTF-8 and colon values round-trip as the broker allows", async (c) => {
  const queue = uniqueQueue("sync-headers-10");
  await using client = c.client();
  await open(client, c.version);
  await client.subscribe(queue, {}, "sub");
  await collect(client, ["sub"], 0);
  const headers = {
    "x-plain": "just text, with punctuation! (and = signs)",
    "x-utf8": "héllo wörld ✓ 日本語 🚀",
    "x-inner-spaces": "a  b   c",
    "x-colon": "a:b",
  };
  await client.send(queue, "body", headers);
  const message = await expectMessage(client, "body");
  assert.equal(message.headers["x-plain"], headers["x-plain"]);
  assert.equal(message.headers["x-utf8"], headers["x-utf8"]);
  assert.equal(message.headers["x-inner-spaces"], headers["x-inner-spaces"]);
  // The raw `:` is taken as-is by both; RabbitMQ escapes it on the way out even in 1.0.
  assert.equal(message.headers["x-colon"], c.target.quirks.colonIn10);
  await client.disconnect({ receipt: "bye" });
}, { versions: ["1.0"] });
