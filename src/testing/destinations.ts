/**
 * Destinations of the test broker: queues with competing consumers, topics with fan-out, and the
 * bookkeeping of delivered-but-unacked messages. Nothing here knows frames or versions.
 *
 * @module
 */

import type { StompAckMode } from "../protocol/spec.ts";

/** A message the broker holds: its id, where it was sent, the sender's headers and body. */
export interface StoredMessage {
  readonly id: string;
  readonly destination: string;
  /** Headers to copy onto the MESSAGE (the sender's, reserved ones already dropped). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Uint8Array;
  readonly redelivered: boolean;
}

/** Whoever owns subscriptions: a connection. */
export interface Consumer {
  /** False once the connection is closing: it takes no more messages. */
  readonly open: boolean;
  /** Sends the message and, for a client ack mode, records the delivery in `sub.unacked`. */
  deliver(sub: Subscription, message: StoredMessage): void;
}

/** One message handed to one subscription and not yet acknowledged. */
export interface Delivery {
  readonly message: StoredMessage;
  readonly subscription: Subscription;
  /** The MESSAGE headers an ACK/NACK may refer to (message-id, subscription, ack). */
  readonly sent: Readonly<Record<string, string>>;
}

/** A subscription: where it reads from, how it acks, how many unacked messages it may hold. */
export class Subscription {
  /** Deliveries awaiting ACK/NACK, oldest first (client and client-individual modes). */
  readonly unacked: Delivery[] = [];
  /** The queue it consumes: the destination's (queues) or its own (topics). */
  source?: Queue;

  constructor(
    readonly owner: Consumer,
    /** The key the connection files it under: the id, or the destination for a 1.0 one without. */
    readonly key: string,
    readonly id: string | undefined,
    readonly destination: string,
    readonly ack: StompAckMode,
    /** Most unacked messages in flight (Infinity: no bound); auto ack is never bounded. */
    readonly prefetch: number,
  ) {}

  /** Whether it can take one more message now. */
  get ready(): boolean {
    return this.owner.open && (this.ack === "auto" || this.unacked.length < this.prefetch);
  }

  /**
   * Removes what an ACK/NACK of `delivery` settles: in `client` mode it and every earlier
   * delivery (cumulative), in `client-individual` mode only it.
   */
  settle(delivery: Delivery): StoredMessage[] {
    const at = this.unacked.indexOf(delivery);
    if (at < 0) return [];
    const settled = this.ack === "client" ? this.unacked.splice(0, at + 1) : this.unacked.splice(at, 1);
    return settled.map((d) => d.message);
  }
}

const redelivered = (m: StoredMessage): StoredMessage => ({ ...m, redelivered: true });

/** Pending messages and the subscriptions that compete for them, served round-robin. */
export class Queue {
  readonly pending: StoredMessage[] = [];
  readonly consumers: Subscription[] = [];
  #next = 0;
  #pumping = false;

  constructor(readonly name: string) {}

  push(message: StoredMessage): void {
    this.pending.push(message);
    this.pump();
  }

  /** Puts messages back at the head, in their order, marked redelivered. */
  requeue(messages: readonly StoredMessage[]): void {
    if (messages.length === 0) return;
    this.pending.unshift(...messages.map(redelivered));
    this.pump();
  }

  add(sub: Subscription): void {
    this.consumers.push(sub);
    this.pump();
  }

  remove(sub: Subscription): void {
    const at = this.consumers.indexOf(sub);
    if (at < 0) return;
    this.consumers.splice(at, 1);
    if (at < this.#next) this.#next--;
    if (this.#next >= this.consumers.length) this.#next = 0;
  }

  /** Hands pending messages to ready consumers, taking turns. */
  pump(): void {
    // A delivery never calls back into the queue synchronously, but guard anyway: the outer loop
    // keeps going, so an inner pump has nothing to add.
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.pending.length > 0) {
        const sub = this.#pick();
        if (!sub) break;
        sub.owner.deliver(sub, this.pending.shift()!);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #pick(): Subscription | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const at = (this.#next + i) % n;
      const sub = this.consumers[at];
      if (sub.ready) {
        this.#next = (at + 1) % n;
        return sub;
      }
    }
    return undefined;
  }

  /** Messages delivered to its consumers and not yet acknowledged. */
  get inFlight(): number {
    return this.consumers.reduce((sum, sub) => sum + sub.unacked.length, 0);
  }
}

/**
 * Every destination of one broker. `/topic/...` names fan out to the subscriptions present when a
 * message arrives (none: it is dropped); any other name is a queue.
 */
export class Destinations {
  readonly #queues = new Map<string, Queue>();
  readonly #topics = new Map<string, Set<Subscription>>();

  isTopic(destination: string): boolean {
    return destination.startsWith("/topic/");
  }

  /** The queue of that name, if it was ever used. */
  peek(name: string): Queue | undefined {
    return this.#queues.get(name);
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) this.#queues.set(name, queue = new Queue(name));
    return queue;
  }

  /** Routes a message; `newId` gives each copy of a topic message its own message-id. */
  route(message: StoredMessage, newId: () => string): void {
    if (!this.isTopic(message.destination)) return this.#queue(message.destination).push(message);
    let first = true;
    for (const sub of this.#topics.get(message.destination) ?? []) {
      sub.source?.push(first ? message : { ...message, id: newId() });
      first = false;
    }
  }

  subscribe(sub: Subscription): void {
    if (this.isTopic(sub.destination)) {
      let subs = this.#topics.get(sub.destination);
      if (!subs) this.#topics.set(sub.destination, subs = new Set());
      subs.add(sub);
      sub.source = new Queue(sub.destination);
    } else {
      sub.source = this.#queue(sub.destination);
    }
    sub.source.add(sub);
  }

  /** Removes a subscription; its unacked queue messages go back to the queue, redelivered. */
  unsubscribe(sub: Subscription): void {
    const source = sub.source;
    if (!source) return;
    sub.source = undefined;
    source.remove(sub);
    const unacked = sub.unacked.splice(0).map((d) => d.message);
    if (this.isTopic(sub.destination)) {
      // A non-durable topic subscription takes its messages with it.
      this.#topics.get(sub.destination)?.delete(sub);
    } else {
      source.requeue(unacked);
    }
  }

  /** Unacked messages of a destination across its subscriptions. */
  inFlight(name: string): number {
    if (!this.isTopic(name)) return this.#queues.get(name)?.inFlight ?? 0;
    let sum = 0;
    for (const sub of this.#topics.get(name) ?? []) sum += sub.unacked.length;
    return sum;
  }
}
