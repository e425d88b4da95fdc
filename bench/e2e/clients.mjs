// One adapter per client, each used the way its README shows: connect, publish `count` messages
// (the last with a receipt, awaited), consume `count` messages checking each, ping-pong, close.
// stompest is the same code under Deno (mod.ts) and Node (the npm build).

import * as net from "node:net";
import {
  checkBody,
  makeBody,
  makeText,
  PREFETCH,
  rawConnect,
  rawConsume,
  rawFrame,
  rawPublish,
} from "./common.mjs";

const windowFor = (size) => size > 65536 ? 10 : PREFETCH;
const bodyOf = (seq, size) => size > 4096 ? makeBody(seq, size) : makeText(seq, size);
const credentials = { login: "guest", passcode: "guest" };

/** Resolves `promise` handlers for one expected message at a time (ping-pong). */
function oneAtATime() {
  let waiting;
  return {
    next: () => new Promise((resolve) => waiting = resolve),
    got: (value) => waiting?.(value),
  };
}

/** The raw pipelined socket: the ceiling. */
export const raw = {
  connect: (broker) => rawConnect(broker),
  publish: (c, queue, count, size, headers) => rawPublish(c, queue, count, size, headers),
  consume: (c, queue, count, size, ack) => rawConsume(c, queue, count, size, ack),
  async pingpong(c, queue, count, size) {
    const one = oneAtATime();
    c.onFrame = (command, _h, body) => command === "MESSAGE" && one.got(body);
    await c.receipt("SUBSCRIBE", { destination: queue, id: "pp", ack: "auto" });
    const latencies = [];
    for (let seq = 0; seq < count; seq++) {
      const t0 = performance.now();
      const got = one.next();
      c.write(rawFrame("SEND", { destination: queue, "content-length": size }, makeText(seq, size)));
      checkBody(await got, seq, size);
      latencies.push(performance.now() - t0);
    }
    return latencies;
  },
  close: (c) => c.receipt().finally(() => c.close()),
};

/** stompest's AsyncStomp: `lib` is mod.ts (Deno) or the npm build (Node). */
export function stompest(lib) {
  return {
    connect: (broker) =>
      lib.connect(`tcp://${broker.host}:${broker.port}`, {
        ...credentials,
        host: broker.vhost,
        versions: ["1.2"],
        heartBeats: [0, 0],
      }),
    async publish(client, queue, count, size, headers = {}) {
      // The README way: small messages sent without awaiting each, large ones awaited (the write
      // is the backpressure), the last with a receipt, awaited.
      for (let seq = 0; seq < count - 1; seq++) {
        if (size > 4096) await client.send(queue, bodyOf(seq, size), headers);
        else client.send(queue, bodyOf(seq, size), headers);
      }
      // The receipt comes after every earlier message was taken: on a busy broker that is more
      // than the default 10 s.
      await client.send(queue, bodyOf(count - 1, size), headers, { receipt: true, timeout: 300_000 });
    },
    async consume(client, queue, count, size, ack, awaitAck = false) {
      const options = ack === "auto" ? { ack, bufferSize: 1 << 20 } : { ack, window: windowFor(size) };
      const sub = await client.subscribe(queue, {}, options);
      let expected = 0;
      for await (const msg of sub) {
        checkBody(msg.body, expected++, size);
        if (ack !== "auto") {
          if (awaitAck) await msg.ack();
          else msg.ack();
        }
        if (expected === count) break;
      }
    },
    async pingpong(client, queue, count, size) {
      const sub = await client.subscribe(queue, {}, { receipt: true });
      const it = sub[Symbol.asyncIterator]();
      const latencies = [];
      for (let seq = 0; seq < count; seq++) {
        const t0 = performance.now();
        client.send(queue, makeText(seq, size));
        const { value } = await it.next();
        checkBody(value.body, seq, size);
        latencies.push(performance.now() - t0);
      }
      await it.return?.();
      return latencies;
    },
    close: (client) => client.disconnect().finally(() => client.close()),
  };
}

/** @stomp/stompjs over @stomp/tcp-wrapper (Node). */
export function stompjs({ Client }, { TCPWrapper }) {
  let receipts = 0;
  return {
    connect: (broker) =>
      new Promise((resolve, reject) => {
        const client = new Client({
          webSocketFactory: () => new TCPWrapper(broker.host, broker.port),
          connectHeaders: { ...credentials, host: broker.vhost },
          stompVersions: { versions: ["1.2"], supportedVersions: () => ["1.2"] },
          heartbeatIncoming: 0,
          heartbeatOutgoing: 0,
          reconnectDelay: 0,
          onConnect: () => resolve(client),
          onStompError: (frame) => reject(new Error(frame.headers.message)),
          onWebSocketError: reject,
        });
        client.activate();
      }),
    async publish(client, queue, count, size, headers = {}) {
      const send = (seq, extra) => {
        const body = bodyOf(seq, size);
        if (typeof body === "string") {
          client.publish({ destination: queue, body, headers: { ...headers, ...extra } });
        } else client.publish({ destination: queue, binaryBody: body, headers: { ...headers, ...extra } });
      };
      for (let seq = 0; seq < count - 1; seq++) send(seq, {});
      const receipt = `r${receipts++}`;
      const done = new Promise((resolve) => client.watchForReceipt(receipt, resolve));
      send(count - 1, { receipt });
      await done;
    },
    consume(client, queue, count, size, ack) {
      return new Promise((resolve, reject) => {
        let expected = 0;
        const headers = ack === "auto"
          ? { ack }
          : { ack, "prefetch-count": `${windowFor(size)}`, "activemq.prefetchSize": `${windowFor(size)}` };
        const sub = client.subscribe(queue, (message) => {
          try {
            checkBody(message.binaryBody, expected++, size);
          } catch (error) {
            reject(error);
          }
          if (ack !== "auto") message.ack();
          if (expected === count) {
            sub.unsubscribe();
            resolve();
          }
        }, headers);
      });
    },
    async pingpong(client, queue, count, size) {
      const one = oneAtATime();
      const sub = client.subscribe(queue, (message) => one.got(message.binaryBody));
      const latencies = [];
      for (let seq = 0; seq < count; seq++) {
        const t0 = performance.now();
        const got = one.next();
        client.publish({ destination: queue, body: makeText(seq, size) });
        checkBody(await got, seq, size);
        latencies.push(performance.now() - t0);
      }
      sub.unsubscribe();
      return latencies;
    },
    close: (client) => client.deactivate(),
  };
}

/** stompit (Node). */
export function stompit(lib) {
  const sendOne = (client, headers, body, onReceipt) => {
    const frame = client.send(
      { ...headers, "content-length": body.length },
      onReceipt ? { onReceipt } : undefined,
    );
    frame.write(typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.length));
    frame.end();
  };
  const readBody = (message) =>
    new Promise((resolve, reject) => {
      const chunks = [];
      message.on("data", (c) => chunks.push(c));
      message.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      message.on("error", reject);
    });
  return {
    connect: (broker) =>
      new Promise((resolve, reject) => {
        lib.connect({
          host: broker.host,
          port: broker.port,
          // As every other client here does: without it Nagle holds each ping-pong message ~40 ms.
          connect: (options, onConnect) => net.connect(options, onConnect).setNoDelay(true),
          connectHeaders: {
            ...credentials,
            host: broker.vhost,
            "heart-beat": "0,0",
            "accept-version": "1.2",
          },
        }, (error, client) => error ? reject(error) : resolve(client));
      }),
    async publish(client, queue, count, size, headers = {}) {
      for (let seq = 0; seq < count - 1; seq++) {
        sendOne(client, { ...headers, destination: queue }, bodyOf(seq, size));
      }
      await new Promise((resolve) =>
        sendOne(client, { ...headers, destination: queue }, bodyOf(count - 1, size), resolve)
      );
    },
    consume(client, queue, count, size, ack) {
      return new Promise((resolve, reject) => {
        let expected = 0;
        const headers = { destination: queue, ack };
        if (ack !== "auto") {
          Object.assign(headers, {
            "prefetch-count": windowFor(size),
            "activemq.prefetchSize": windowFor(size),
          });
        }
        const sub = client.subscribe(headers, async (error, message) => {
          if (error) return reject(error);
          const seq = expected++;
          try {
            checkBody(await readBody(message), seq, size);
          } catch (e) {
            return reject(e);
          }
          if (ack !== "auto") client.ack(message);
          if (seq === count - 1) {
            sub.unsubscribe();
            resolve();
          }
        });
      });
    },
    async pingpong(client, queue, count, size) {
      const one = oneAtATime();
      const sub = client.subscribe({ destination: queue, ack: "auto" }, (error, message) => {
        if (!error) readBody(message).then(one.got);
      });
      const latencies = [];
      for (let seq = 0; seq < count; seq++) {
        const t0 = performance.now();
        const got = one.next();
        sendOne(client, { destination: queue }, makeText(seq, size));
        checkBody(await got, seq, size);
        latencies.push(performance.now() - t0);
      }
      sub.unsubscribe();
      return latencies;
    },
    close: (client) => new Promise((resolve) => client.disconnect(() => resolve())),
  };
}
