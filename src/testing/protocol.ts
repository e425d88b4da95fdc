/**
 * The test broker's frame logic that needs no connection state: CONNECT negotiation and the
 * MESSAGE and ERROR frames it writes. Every per-version choice is a SPEC lookup.
 *
 * @module
 */

import { negotiateHeartBeat, parseHeartBeat } from "../protocol/commands.ts";
import { StompProtocolError } from "../protocol/protocol_error.ts";
import { firstWins, StompFrame } from "../protocol/frame.ts";
import {
  AckMode,
  Command,
  Header,
  RESERVED_MESSAGE_HEADERS,
  SPEC,
  type StompVersion,
} from "../protocol/spec.ts";
import type { StoredMessage, Subscription } from "./destinations.ts";
import type { BrokerSettings } from "./settings.ts";

type Pairs = (readonly [string, string])[];

/** A client frame the broker answers with ERROR; `close` overrides closeOnError. */
export class Refusal extends StompProtocolError {
  readonly close?: boolean;
  /** Extra ERROR headers, e.g. `version` for a failed negotiation. */
  readonly headers: Pairs;
  constructor(message: string, options: { close?: boolean; headers?: Pairs } = {}) {
    super(message);
    this.close = options.close;
    this.headers = options.headers ?? [];
  }
}

/** Throws a {@link Refusal}. */
export function refuse(message: string): never {
  throw new Refusal(message);
}

/** The header's value, or a Refusal naming the missing header. */
export function required(frame: StompFrame, name: string, why = ""): string {
  return frame.headers[name] ?? refuse(`${frame.command} without ${name} header${why}`);
}

/** What a successful CONNECT settled. */
export interface Negotiated {
  readonly version: StompVersion;
  readonly login?: string;
  /** Periods in ms: the client sends every `client`, the broker every `server`. */
  readonly heartBeat: { readonly client: number; readonly server: number };
  readonly connected: StompFrame;
}

/** Answers CONNECT/STOMP: version, host, credentials, heart-beats. Throws a Refusal. */
export function negotiate(
  frame: StompFrame,
  settings: BrokerSettings,
  session: string,
  connection = 0,
): Negotiated {
  const { command, headers } = frame;
  if (command !== Command.CONNECT && command !== Command.STOMP) refuse(`expected CONNECT, got ${command}`);
  const offered = headers[Header.ACCEPT_VERSION];
  const wanted = offered === undefined ? ["1.0"] : offered.split(",").map((v) => v.trim());
  const version = [...settings.versions].reverse().find((v) => wanted.includes(v));
  if (version === undefined) {
    const supported = settings.versions.join(",");
    throw new Refusal(`unsupported STOMP version (supported ${supported})`, {
      headers: [[Header.VERSION, supported]],
    });
  }
  const spec = SPEC[version];
  if (!spec.clientCommands.has(command)) refuse(`${command} does not exist in STOMP ${version}`);
  if (spec.connectNeedsHost && headers[Header.HOST] === undefined) {
    refuse(`${command} without host header (required in STOMP ${version})`);
  }
  const login = headers[Header.LOGIN];
  const users = settings.users;
  if (users) {
    const expected = login === undefined
      ? undefined
      : typeof users === "function"
      ? users(login, connection)
      : Object.hasOwn(users, login)
      ? users[login]
      : undefined;
    if (expected === undefined || expected !== headers[Header.PASSCODE]) {
      refuse("access refused (bad login or passcode)");
    }
  }
  const pairs: Pairs = [[Header.VERSION, version], [Header.SESSION, session], [
    Header.SERVER,
    settings.server,
  ]];
  let heartBeat = { client: 0, server: 0 };
  if (spec.heartBeats) {
    const client = parseHeartBeat(headers[Header.HEART_BEAT] ?? "0,0");
    // By default agree to whatever the client asks, as RabbitMQ does.
    const offer = settings.heartBeats ?? [client[1], client[0]];
    const { clientHeartBeat, serverHeartBeat } = negotiateHeartBeat(client, offer);
    heartBeat = { client: clientHeartBeat, server: serverHeartBeat };
    pairs.push([Header.HEART_BEAT, offer.join(",")]);
  }
  return {
    version,
    login,
    heartBeat,
    connected: new StompFrame(Command.CONNECTED, pairs, undefined, version),
  };
}

/** A message as the broker keeps it: the sender's headers minus those the broker sets. */
export function storedMessage(
  id: string,
  destination: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body: Uint8Array,
): StoredMessage {
  return {
    id,
    destination,
    headers: headers.filter(([n]) => !RESERVED_MESSAGE_HEADERS.has(n)),
    body,
    redelivered: false,
  };
}

/**
 * The MESSAGE for one delivery, and the headers an ACK/NACK may refer to. A client ack mode adds
 * the headers the version's ACK echoes that are not there yet (1.2: `ack`), each from `newAckId`.
 */
export function messageFrame(
  message: StoredMessage,
  sub: Subscription,
  version: StompVersion,
  newAckId: () => string,
): { frame: StompFrame; sent: Record<string, string> } {
  const pairs: Pairs = [[Header.DESTINATION, message.destination], [Header.MESSAGE_ID, message.id]];
  if (sub.id !== undefined) pairs.push([Header.SUBSCRIPTION, sub.id]);
  if (sub.ack !== AckMode.AUTO) {
    for (const name of Object.values(SPEC[version].ackHeaders)) {
      if (!pairs.some(([k]) => k === name)) pairs.push([name, newAckId()]);
    }
  }
  const sent = firstWins(pairs);
  if (message.redelivered) pairs.push(["redelivered", "true"]);
  pairs.push(...message.headers, [Header.CONTENT_LENGTH, String(message.body.length)]);
  return { frame: new StompFrame(Command.MESSAGE, pairs, message.body, version), sent };
}

const encoder = new TextEncoder();

/** An ERROR frame: `message`, the receipt-id the bad frame asked for, a body describing it. */
export function errorFrame(
  message: string,
  version: StompVersion | undefined,
  frame?: StompFrame,
  extra: Pairs = [],
): StompFrame {
  // Before negotiation the client's header rules are unknown (escaped or not): keep text plain.
  const plain = (text: string) => text.replace(version ? /[\r\n]/g : /[\r\n:\\]/g, " ");
  const pairs: Pairs = [[Header.MESSAGE, plain(message)], ...extra];
  const receipt = frame?.headers[Header.RECEIPT];
  if (receipt !== undefined) pairs.push([Header.RECEIPT_ID, plain(receipt)]);
  const body = encoder.encode(frame ? `The frame was: ${frame.info()}\n` : "");
  pairs.push([Header.CONTENT_TYPE, "text/plain"], [Header.CONTENT_LENGTH, String(body.length)]);
  return new StompFrame(Command.ERROR, pairs, body, version ?? "1.0");
}
