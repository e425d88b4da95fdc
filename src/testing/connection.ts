/**
 * One client connection of the test broker: reads frames, keeps the connection's state
 * (subscriptions, unacked deliveries, transactions, heart-beats) and applies the fault hooks.
 *
 * @module
 */

import { StompFrame } from "../protocol/frame.ts";
import { StompParser } from "../protocol/parser.ts";
import { AckMode, Command, Header, SPEC, type StompAckMode, type StompVersion } from "../protocol/spec.ts";
import type { StompConnection } from "../connection/transport.ts";
import {
  type Consumer,
  type Delivery,
  type Destinations,
  type StoredMessage,
  Subscription,
} from "./destinations.ts";
import type { FaultView } from "./faults.ts";
import { Outbox } from "./outbox.ts";
import { errorFrame, messageFrame, negotiate, Refusal, refuse, required, storedMessage } from "./protocol.ts";
import type { BrokerSettings } from "./settings.ts";

/** What the broker gives each connection. */
export interface BrokerHost {
  readonly settings: BrokerSettings;
  readonly destinations: Destinations;
  readonly tag: string;
  nextMessageId(): string;
  /** A frame arrived (recorded for tests before it is handled). */
  received(conn: TestConnection, frame: StompFrame): void;
  /** Something tests may wait on changed. */
  changed(): void;
  /** The connection is gone. */
  ended(conn: TestConnection): void;
}

/**
 * What a test can see of one connection.
 *
 * @example
 * ```ts
 * import type { StompTestConnectionInfo } from "./connection.ts";
 * const check = (info: StompTestConnectionInfo) => info.open && info.version === "1.2";
 * ```
 */
export interface StompTestConnectionInfo {
  /** Its index in the order connections were accepted, from 0. */
  readonly index: number;
  /** The negotiated version; undefined before CONNECTED. */
  readonly version?: StompVersion;
  /** The `login` it connected with. */
  readonly login?: string;
  /** Negotiated periods in ms (0 = none): the client sends every `client`, the broker every `server`. */
  readonly heartBeat: { readonly client: number; readonly server: number };
  /** Frames received (heart-beats not counted). */
  readonly framesReceived: number;
  readonly heartBeatsReceived: number;
  readonly heartBeatsSent: number;
  /** False once it closed. */
  readonly open: boolean;
  /** Why it closed, e.g. `EOF`, `DISCONNECT`, `heart-beat timeout ...`, `dropped by the test ...`. */
  readonly closeReason?: string;
}

const EOL = new Uint8Array([0x0a]);

type State = "new" | "connected" | "closing" | "closed";
type Handler = (frame: StompFrame) => (() => void) | void;

/** Serves one connection until it closes; `finished` settles once everything about it stopped. */
export class TestConnection implements Consumer {
  version?: StompVersion;
  login?: string;
  heartBeat: { readonly client: number; readonly server: number } = { client: 0, server: 0 };
  framesReceived = 0;
  heartBeatsReceived = 0;
  heartBeatsSent = 0;
  closeReason?: string;
  readonly finished: Promise<void>;

  readonly #host: BrokerHost;
  readonly #conn: StompConnection;
  readonly #faults: FaultView;
  readonly #outbox: Outbox;
  // CONNECT and STOMP are known to the 1.2 dialect, and their headers are never escaped.
  readonly #parser: StompParser;
  readonly #subs = new Map<string, Subscription>();
  readonly #transactions = new Map<string, (() => void)[]>();
  #state: State = "new";
  #closed: Promise<void> = Promise.resolve();
  #lastRead = Date.now();
  #acks = 0;
  #sends = 0;

  readonly #handlers: Readonly<Record<string, Handler>> = {
    SEND: (f) => this.#send(f),
    SUBSCRIBE: (f) => this.#subscribe(f),
    UNSUBSCRIBE: (f) => this.#unsubscribe(f),
    ACK: (f) => this.#ack(f),
    NACK: (f) => this.#ack(f),
    BEGIN: (f) => this.#begin(f),
    COMMIT: (f) => this.#endTransaction(f, true),
    ABORT: (f) => this.#endTransaction(f, false),
    // Closed after the RECEIPT went out.
    DISCONNECT: () => () => this.#closeAfterOutput("DISCONNECT"),
    CONNECT: () => refuse("already connected"),
    STOMP: () => refuse("already connected"),
  };

  constructor(readonly index: number, conn: StompConnection, host: BrokerHost, faults: FaultView) {
    this.#conn = conn;
    this.#host = host;
    this.#faults = faults;
    this.#parser = new StompParser("1.2", host.settings.parserLimits);
    this.#outbox = new Outbox(
      conn,
      () => faults.get("delay"),
      (e) => this.#teardown(`write failed (${(e as Error)?.message ?? e})`),
    );
    this.finished = this.#run();
  }

  /** Whether it takes messages: connected and not closing. */
  get open(): boolean {
    return this.#state === "connected";
  }

  /** Whether it has closed. */
  get closed(): boolean {
    return this.#state === "closed";
  }

  /** A snapshot for tests. */
  info(): StompTestConnectionInfo {
    const { index, version, login, heartBeat, framesReceived, heartBeatsReceived, heartBeatsSent } = this;
    const { closeReason } = this;
    const open = !this.closed;
    return {
      index,
      version,
      login,
      heartBeat,
      framesReceived,
      heartBeatsReceived,
      heartBeatsSent,
      open,
      closeReason,
    };
  }

  /** Closes at once, without a frame: the client sees EOF. */
  drop(reason: string): void {
    this.#teardown(reason);
  }

  async #run(): Promise<void> {
    const reader = this.#conn.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.closed) break;
        this.#lastRead = Date.now();
        this.#consume(value);
      }
      this.#teardown("EOF");
    } catch (e) {
      this.#teardown(`connection failed (${(e as Error)?.message ?? e})`);
    }
    reader.cancel().catch(() => {});
    await this.#outbox.drained;
    await this.#closed;
  }

  #consume(chunk: Uint8Array): void {
    // Until CONNECT is handled the version is unknown: parse up to the end of one frame at a time,
    // so that frames sent right behind CONNECT are read by the negotiated version's rules.
    while (this.#state === "new") {
      const nul = chunk.indexOf(0);
      if (nul < 0) break;
      this.#feed(chunk.subarray(0, nul + 1));
      chunk = chunk.subarray(nul + 1);
    }
    if (chunk.length > 0) this.#feed(chunk);
  }

  #feed(chunk: Uint8Array): void {
    if (!this.#reading) return;
    let bad: unknown;
    try {
      this.#parser.add(chunk);
    } catch (e) {
      bad = e;
    }
    while (this.#parser.canRead()) {
      const item = this.#parser.get();
      if (item instanceof StompFrame) {
        this.#handle(item);
      } else {
        this.heartBeatsReceived++;
        this.#host.changed();
      }
      if (!this.#reading) return;
    }
    if (bad !== undefined) {
      const close = this.#state === "new" || this.#host.settings.closeOnError;
      this.#error(new Refusal(`malformed frame (${(bad as Error).message})`, { close }));
    }
  }

  /** Whether input is still handled: not after a fatal ERROR, DISCONNECT or a drop. */
  get #reading(): boolean {
    return this.#state === "new" || this.#state === "connected";
  }

  #handle(frame: StompFrame): void {
    this.framesReceived++;
    this.#host.received(this, frame);
    if (!this.#faults.get("blackHole")) {
      const connecting = this.#state === "new";
      try {
        const after = connecting ? this.#connect(frame) : this.#dispatch(frame);
        const receipt = frame.headers[Header.RECEIPT];
        if (!connecting && receipt !== undefined && this.#reading) {
          this.#write(
            new StompFrame(Command.RECEIPT, { [Header.RECEIPT_ID]: receipt }, undefined, this.version),
          );
        }
        after?.();
      } catch (e) {
        const refusal = e instanceof Refusal ? e : new Refusal((e as Error).message);
        this.#error(refusal, frame, refusal.close ?? (connecting || this.#host.settings.closeOnError));
      }
    }
    const limit = this.#faults.get("dropAfterFrames");
    if (limit !== undefined && this.framesReceived >= limit) {
      this.#closeAfterOutput(`dropped after ${limit} frames (faults.dropAfterFrames)`);
    }
    this.#host.changed();
  }

  #dispatch(frame: StompFrame): (() => void) | void {
    const version = this.version!;
    if (!SPEC[version].clientCommands.has(frame.command)) {
      refuse(`${frame.command} is not a STOMP ${version} client command`);
    }
    return this.#handlers[frame.command](frame);
  }

  #connect(frame: StompFrame): void {
    const faulty = this.#faults.get("errorOnConnect");
    if (faulty) refuse(typeof faulty === "string" ? faulty : "connection refused (faults.errorOnConnect)");
    const { version, login, heartBeat, connected } = negotiate(
      frame,
      this.#host.settings,
      `${this.#host.tag}-${this.index}`,
      this.index,
    );
    this.version = this.#parser.version = version;
    this.login = login;
    this.heartBeat = heartBeat;
    this.#state = "connected";
    this.#write(connected);
    this.#startHeartBeats();
  }

  #send(frame: StompFrame): void {
    const destination = required(frame, Header.DESTINATION);
    const fault = this.#faults.takeErrorOnSend();
    if (fault) {
      throw new Refusal(fault.message ?? "SEND refused (faults.errorOnSend)", { close: fault.close ?? true });
    }
    const drop = this.#faults.takeDropOnSend(++this.#sends);
    if (drop?.at === "before-store") {
      return this.#teardown("dropped before storing a SEND (faults.dropOnSend)");
    }
    const message = storedMessage(this.#host.nextMessageId(), destination, frame.rawHeaders, frame.body);
    const route = () => this.#host.destinations.route(message, () => this.#host.nextMessageId());
    this.#now(frame, route);
    if (drop) this.#teardown("dropped after storing a SEND (faults.dropOnSend)");
  }

  #subscribe(frame: StompFrame): () => void {
    const spec = SPEC[this.version!];
    const destination = required(frame, Header.DESTINATION);
    const id = frame.headers[Header.ID];
    if (id === undefined && spec.subscribeNeedsId) {
      required(frame, Header.ID, ` (required in STOMP ${this.version})`);
    }
    const key = id ?? destination;
    if (this.#subs.has(key)) refuse(`subscription ${JSON.stringify(key)} already exists`);
    const ack = frame.headers[Header.ACK] ?? AckMode.AUTO;
    if (!spec.ackModes.has(ack)) refuse(`unknown ack mode ${JSON.stringify(ack)} in STOMP ${this.version}`);
    const limit = frame.headers["activemq.prefetchSize"] ?? frame.headers["prefetch-count"];
    if (limit !== undefined && !/^[0-9]{1,9}$/.test(limit)) {
      refuse(`invalid prefetch ${JSON.stringify(limit)}`);
    }
    const prefetch = limit === undefined || Number(limit) === 0 ? Infinity : Number(limit);
    const sub = new Subscription(this, key, id, destination, ack as StompAckMode, prefetch);
    this.#subs.set(key, sub);
    // After the RECEIPT: a client that waits for it then sees the backlog in order.
    return () => this.#host.destinations.subscribe(sub);
  }

  #unsubscribe(frame: StompFrame): void {
    const needsId = SPEC[this.version!].subscribeNeedsId;
    const key = frame.headers[Header.ID] ?? (needsId ? undefined : frame.headers[Header.DESTINATION]);
    if (key === undefined) refuse(`UNSUBSCRIBE without ${needsId ? "id" : "id or destination"} header`);
    const sub = this.#subs.get(key!) ?? refuse(`no subscription ${JSON.stringify(key)}`);
    this.#subs.delete(key!);
    this.#host.destinations.unsubscribe(sub);
  }

  /** ACK or NACK, matched to a delivery by the version's SPEC `ackHeaders`, settled now or at COMMIT. */
  #ack(frame: StompFrame): void {
    const refs = Object.entries(SPEC[this.version!].ackHeaders);
    for (const [name] of refs) required(frame, name);
    const matches = (d: Delivery) => refs.every(([name, sent]) => d.sent[sent] === frame.headers[name]);
    let delivery: Delivery | undefined;
    for (const sub of this.#subs.values()) {
      delivery = sub.unacked.find(matches);
      if (delivery) break;
    }
    if (!delivery) {
      refuse(`${frame.command} for no unacked message (${refs.map(([n]) => `${n}=${frame.headers[n]}`)})`);
    }
    const requeue = frame.command === Command.NACK && frame.headers.requeue !== "false";
    this.#now(frame, () => {
      const sub = delivery!.subscription;
      const settled = sub.settle(delivery!);
      if (requeue) sub.source?.requeue(settled);
      sub.source?.pump();
    });
  }

  /** Runs `step` now, or at COMMIT when the frame names a transaction. */
  #now(frame: StompFrame, step: () => void): void {
    const name = frame.headers[Header.TRANSACTION];
    if (name === undefined) step();
    else this.#transaction(name).push(step);
  }

  #begin(frame: StompFrame): void {
    const name = required(frame, Header.TRANSACTION);
    if (this.#transactions.has(name)) refuse(`transaction ${JSON.stringify(name)} already begun`);
    this.#transactions.set(name, []);
  }

  #endTransaction(frame: StompFrame, commit: boolean): void {
    const name = required(frame, Header.TRANSACTION);
    const steps = this.#transaction(name);
    this.#transactions.delete(name);
    if (commit) { for (const step of steps) step(); }
  }

  #transaction(name: string): (() => void)[] {
    return this.#transactions.get(name) ?? refuse(`unknown transaction ${JSON.stringify(name)}`);
  }

  /** Sends one message to `sub` (Consumer). */
  deliver(sub: Subscription, message: StoredMessage): void {
    const version = this.version!;
    const { frame, sent } = messageFrame(message, sub, version, () => `ack-${this.index}-${++this.#acks}`);
    let bytes: Uint8Array;
    try {
      bytes = frame.toBytes();
    } catch (e) {
      // Kept as unacked so that the teardown puts it back for another consumer.
      sub.unacked.push({ message, subscription: sub, sent });
      this.#error(
        new Refusal(`message ${message.id} cannot be written in STOMP ${version} (${(e as Error).message})`),
      );
      return;
    }
    if (sub.ack !== AckMode.AUTO) sub.unacked.push({ message, subscription: sub, sent });
    this.#outbox.push(bytes, true);
  }

  /** Sends ERROR for `refusal` (answering `frame`'s receipt) and closes unless told otherwise. */
  #error(refusal: Refusal, frame?: StompFrame, close = refusal.close ?? true): void {
    this.#write(errorFrame(refusal.message, this.version, frame, refusal.headers));
    if (close) this.#closeAfterOutput(`ERROR: ${refusal.message}`);
  }

  #write(frame: StompFrame): void {
    this.#outbox.push(frame.toBytes(), true);
  }

  #closeAfterOutput(reason: string): void {
    if (!this.#reading) return;
    this.#state = "closing";
    this.#outbox.after(() => this.#teardown(reason));
  }

  #startHeartBeats(): void {
    const { client, server } = this.heartBeat;
    if (server > 0) {
      this.#outbox.watch(server, () => this.#outbox.lastWrite, () => {
        if (this.#faults.get("stopHeartBeating") || this.#faults.get("blackHole")) return;
        this.heartBeatsSent++;
        this.#outbox.push(EOL, false);
      });
    }
    const limit = client * this.#host.settings.heartBeatTolerance;
    if (limit > 0) {
      this.#outbox.watch(
        limit,
        () => this.#lastRead,
        () => this.#teardown(`heart-beat timeout (silent for ${limit} ms)`),
      );
    }
  }

  #teardown(reason: string): void {
    if (this.closed) return;
    this.#state = "closed";
    this.closeReason = reason;
    this.#outbox.stop();
    this.#transactions.clear();
    const subs = [...this.#subs.values()];
    this.#subs.clear();
    for (const sub of subs) this.#host.destinations.unsubscribe(sub);
    this.#closed = this.#conn.close().catch(() => {});
    this.#host.ended(this);
  }
}
