// AsyncStomp heart-beats against RabbitMQ and ActiveMQ (TCP, TLS, Web-STOMP; 1.1 and 1.2): at 1 s
// both ways the client beats and hears the broker's beats, idle for longer than the broker's
// patience; then a ticker that stops firing makes the client silent and the broker drops it.
import assert from "node:assert/strict";
import { deadline, StompConnectionError, type StompTicker } from "../../mod.ts";
import { TappedConnector } from "../helpers/connectors.ts";
import { connected, matrix, VERSIONS_11_UP } from "./async_helpers.ts";

/** The global timers until `silence()`: then due callbacks are dropped, which stops the heart-beats. */
function silenceableTicker(): StompTicker & { silence(): void } {
  let silent = false;
  return {
    setTimeout: (fn, ms) =>
      setTimeout(() => {
        if (!silent) fn();
      }, ms),
    clearTimeout: (handle) => clearTimeout(handle as number),
    silence: () => silent = true,
  };
}

// Both brokers drop a client silent for ~3 s at 1 s heart-beats; 4 beats at 0.8 s span 3.2 s.
const ALIVE_BEATS = 4;

matrix("heart-beat at 1 s, then a silent client is dropped by the broker", VERSIONS_11_UP, async (cell) => {
  const { endpoint, version } = cell;
  const tap = new TappedConnector();
  const ticker = silenceableTicker();
  const c = await connected(endpoint, version, {
    heartBeats: [1000, 1000],
    connector: tap.connector,
    ticker,
    reconnect: false,
  });
  try {
    assert.equal(c.session.clientHeartBeat, 1000);
    assert.equal(c.session.serverHeartBeat, 1000);
    const idleFrom = Date.now();
    await tap.until(
      () => tap.beatsSent >= ALIVE_BEATS && tap.beatsReceived >= 2,
      () =>
        `${ALIVE_BEATS} heart-beats each way (sent ${tap.beatsSent}, received ${tap.beatsReceived}, connected ${c.connected})`,
      ALIVE_BEATS * 1000 + 3000,
    );
    assert.ok(c.connected, "idle but beating: still connected");
    const idle = Date.now() - idleFrom;
    assert.ok(idle >= 3000, `idle ${idle} ms`);

    ticker.silence();
    const silentFrom = Date.now(), sent = tap.beatsSent;
    const reason = await deadline(
      c.disconnected.then(() => undefined, (e) => e),
      { timeout: 10_000 },
      "drop",
    );
    const silence = Date.now() - silentFrom;
    assert.ok(reason instanceof StompConnectionError, String(reason));
    assert.equal(tap.beatsSent, sent, "the client stayed silent");
    // The client's own receive check was silenced too, so the broker is the one that hung up.
    assert.ok(silence >= 1000 && silence < 10_000, `dropped after ${silence} ms of silence`);
    console.log(`${cell.broker} ${cell.transport} ${version}: dropped after ${silence} ms of client silence`);
  } finally {
    await c.close();
  }
}, { together: true });
