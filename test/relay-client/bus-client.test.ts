import { afterEach, describe, expect, test } from "bun:test";
import { RelayBusClient, type RelayBusClientOptions } from "../../src/relay-client/bus-client.ts";
import { isRelayClientError } from "../../src/relay-client/errors.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { deadPort } from "../support/dead-url.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { waitFor } from "../support/wait-for.ts";
import { HELLO, scriptedBus } from "./scripted-bus.ts";

const welcome = (id = "s") => JSON.stringify({ type: "welcome", sessionId: id, serverTime: 1 });

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function client(opts: Partial<RelayBusClientOptions> & { relayUrl: string }): RelayBusClient {
  const c = new RelayBusClient({ token: "tok", hello: HELLO, logger: silentLogger(), ...opts });
  cleanup.push(() => c.close());
  return c;
}

describe("RelayBusClient", () => {
  test("retries a refused connection on the jittered backoff schedule", async () => {
    const clock = new ManualClock();
    const c = client({ relayUrl: `http://127.0.0.1:${deadPort()}`, clock, random: () => 0.5 });
    const delays: number[] = [];
    c.start();
    for (let i = 0; i < 4; i++) {
      await waitFor(() => c.transportState === "reconnecting", { what: `failed attempt ${i + 1}` });
      const d = clock.nextDelay() as number;
      delays.push(d);
      await clock.advance(d);
      expect(c.transportState).toBe("connecting");
    }
    expect(delays).toEqual([75, 150, 300, 600]);
  });

  test("sends hello first, then heartbeats every interval carrying the meta callback's answer", async () => {
    const bus = scriptedBus((ws) => ws.send(welcome()));
    cleanup.push(() => bus.server.stop(true));
    const clock = new ManualClock();
    let n = 0;
    const c = client({
      relayUrl: bus.url,
      clock,
      heartbeatIntervalMs: 5_000,
      heartbeatMeta: () => ({ n: ++n }),
    });
    c.start();
    await c.waitForOpen({ timeoutMs: 5_000 });
    await clock.advance(5_000);
    await clock.advance(5_000);
    await waitFor(() => bus.clientFrames.length === 3, { what: "two heartbeats" });
    expect(bus.clientFrames.map((f) => f.type)).toEqual(["hello", "heartbeat", "heartbeat"]);
    expect(bus.clientFrames[0]).toMatchObject({ heartbeatIntervalMs: 5_000 });
    expect(bus.clientFrames.slice(1).map((f) => f.meta)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  test("a heartbeat meta callback that throws still lets the heartbeat go out", async () => {
    const bus = scriptedBus((ws) => ws.send(welcome()));
    cleanup.push(() => bus.server.stop(true));
    const clock = new ManualClock();
    const c = client({
      relayUrl: bus.url,
      clock,
      heartbeatIntervalMs: 1_000,
      heartbeatMeta: () => {
        throw new Error("meta broke");
      },
    });
    c.start();
    await c.waitForOpen({ timeoutMs: 5_000 });
    await clock.advance(1_000);
    await waitFor(() => bus.clientFrames.some((f) => f.type === "heartbeat"), { what: "a heartbeat" });
  });

  test("a status set before the session opens is sent right after welcome, and the latest one after every welcome", async () => {
    const bus = scriptedBus((ws, n) => {
      ws.send(welcome(`s${n}`));
      if (n === 1) setTimeout(() => ws.close(1001, "going away"), 50);
    });
    cleanup.push(() => bus.server.stop(true));
    const c = client({ relayUrl: bus.url, reconnect: { initialMs: 10, maxMs: 20 } });
    c.status({ agentStatus: "busy", semanticStatus: "busy", ready: false, meta: {} });
    c.status({ agentStatus: "idle", semanticStatus: "idle", ready: true, meta: { v: 2 } });
    c.start();
    await waitFor(() => bus.hellos.length === 2 && bus.clientFrames.length === 4, {
      what: "the second session's status",
    });
    expect(bus.clientFrames.map((f) => f.type)).toEqual(["hello", "status", "hello", "status"]);
    expect(bus.clientFrames[1]).toEqual({
      type: "status",
      agentStatus: "idle",
      semanticStatus: "idle",
      ready: true,
      meta: { v: 2 },
    });
    expect(bus.clientFrames[3]).toEqual(bus.clientFrames[1] as Record<string, unknown>);
  });

  test("statusAsync resolves once the status was written to a welcomed socket", async () => {
    let release: (() => void) | undefined;
    const bus = scriptedBus((ws) => {
      release = () => ws.send(welcome());
    });
    cleanup.push(() => bus.server.stop(true));
    const c = client({ relayUrl: bus.url });
    c.start();
    let resolved = false;
    const sent = c
      .statusAsync({ agentStatus: "busy", semanticStatus: "busy", ready: true, meta: {} })
      .then(() => {
        resolved = true;
      });
    await waitFor(() => release !== undefined, { what: "hello at the server" });
    expect(resolved).toBe(false);
    release?.();
    await sent;
    await waitFor(() => bus.clientFrames.some((f) => f.type === "status"), { what: "status at the server" });
  });

  test("a server that never welcomes is given up on after the welcome timeout and retried", async () => {
    const bus = scriptedBus(() => {});
    cleanup.push(() => bus.server.stop(true));
    const clock = new ManualClock();
    const c = client({ relayUrl: bus.url, clock, welcomeTimeoutMs: 3_000 });
    c.start();
    await waitFor(() => bus.hellos.length === 1, { what: "hello" });
    expect(c.transportState).toBe("connecting");
    await clock.advance(3_000);
    expect(c.transportState).toBe("reconnecting");
    await clock.advance(clock.nextDelay() as number);
    await waitFor(() => bus.hellos.length === 2, { what: "the retry's hello" });
  });

  test("reconnectTransport reconnects at once and the new hello carries the token set with setToken", async () => {
    const bus = scriptedBus((ws, n) => ws.send(welcome(`s${n}`)));
    cleanup.push(() => bus.server.stop(true));
    const c = client({ relayUrl: bus.url, token: "old-token" });
    const disconnects: string[] = [];
    c.on("disconnected", (d) => disconnects.push(d.reason));
    c.start();
    await c.waitForOpen({ timeoutMs: 5_000 });
    c.setToken("new-token");
    c.reconnectTransport("token renewed");
    expect(c.transportState).toBe("connecting");
    await c.waitForOpen({ timeoutMs: 5_000 });
    expect(bus.hellos.map((h) => h.token)).toEqual(["old-token", "new-token"]);
    expect(disconnects).toEqual(["token renewed"]);
  });

  test("waitForOpen gives up on its deadline or when its signal aborts, without stopping the client", async () => {
    const clock = new ManualClock();
    const c = client({ relayUrl: `http://127.0.0.1:${deadPort()}`, clock });
    c.start();
    const late = c.waitForOpen({ timeoutMs: 1_000 }).catch((e) => e);
    await clock.advance(1_000);
    expect(await late).toMatchObject({ code: "TIMEOUT" });
    const ac = new AbortController();
    const aborted = c.waitForOpen({ signal: ac.signal }).catch((e) => e);
    ac.abort();
    expect(await aborted).toMatchObject({ code: "ABORTED" });
    expect(c.transportState).not.toBe("closed");
  });

  test("close() is idempotent, rejects a pending statusAsync, and never reconnects afterwards", async () => {
    const clock = new ManualClock();
    const c = client({ relayUrl: `http://127.0.0.1:${deadPort()}`, clock });
    c.start();
    const pending = c.statusAsync({ agentStatus: "idle", semanticStatus: "idle", ready: true, meta: {} });
    await waitFor(() => c.transportState === "reconnecting", { what: "a failed attempt" });
    const first = c.close();
    expect(c.close()).toBe(first);
    await first;
    expect(c.transportState).toBe("closed");
    expect(
      await pending.then(
        () => "resolved",
        (e) => (isRelayClientError(e, "BUS_CLOSED") ? "rejected" : e),
      ),
    ).toBe("rejected");
    expect(clock.timerCount).toBe(0);
    c.reconnectTransport("after close");
    expect(c.transportState).toBe("closed");
    await expect(c.waitForOpen()).rejects.toThrow("closed");
  });

  test("close() on an open session finishes the close handshake with code 1000", async () => {
    const bus = scriptedBus((ws) => ws.send(welcome()));
    cleanup.push(() => bus.server.stop(true));
    const c = client({ relayUrl: bus.url });
    c.start();
    await c.waitForOpen({ timeoutMs: 5_000 });
    const states: string[] = [];
    const disconnects: string[] = [];
    c.on("transport", (t) => states.push(t.state));
    c.on("disconnected", (d) => disconnects.push(d.reason));
    await c.close();
    await waitFor(() => bus.closeCodes.length === 1, { what: "the server to see the close" });
    expect(bus.closeCodes).toEqual([1000]);
    expect(states).toEqual(["closed"]);
    expect(disconnects).toEqual(["close()"]);
  });
});

/** A WebSocket peer written by hand on raw TCP: it welcomes after hello, then never answers a close frame. */
function deafBus() {
  const server = Bun.listen<{ upgraded: boolean; welcomed: boolean }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { upgraded: false, welcomed: false };
      },
      data(s, chunk) {
        if (!s.data.upgraded) {
          const key = /sec-websocket-key: *(\S+)/i.exec(chunk.toString())?.[1] ?? "";
          const accept = new Bun.CryptoHasher("sha1")
            .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
            .digest("base64");
          s.write(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
          );
          s.data.upgraded = true;
        } else if (!s.data.welcomed) {
          const text = Buffer.from(welcome("deaf"));
          s.write(Buffer.concat([Buffer.from([0x81, text.length]), text]));
          s.data.welcomed = true;
        }
        // Everything after that, the close frame included, is ignored.
      },
    },
  });
  return { server, url: `http://127.0.0.1:${server.port}` };
}

describe("RelayBusClient close bound", () => {
  test("close() drops a socket whose peer never answers the close handshake, after closeTimeoutMs", async () => {
    const bus = deafBus();
    cleanup.push(() => bus.server.stop(true));
    const clock = new ManualClock();
    const c = client({ relayUrl: bus.url, clock, closeTimeoutMs: 1_500 });
    c.start();
    await c.waitForOpen({ timeoutMs: 5_000 });
    let closed = false;
    const closing = c.close().then(() => {
      closed = true;
    });
    expect(c.transportState).toBe("closed");
    await clock.advance(1_000);
    expect(closed).toBe(false);
    await clock.advance(500);
    await closing;
    expect(closed).toBe(true);
  });
});
