// RelayBusClient over several relays (scripted buses on real sockets, time on a ManualClock): which relay it
// connects to after a failure, and when it waits.
import { afterEach, describe, expect, test } from "bun:test";
import { RelayBusClient, type RelayBusClientOptions } from "../../src/relay-client/bus-client.ts";
import { RelayHttpClient } from "../../src/relay-client/http-client.ts";
import { RelayRoute } from "../../src/relay-client/relay-route.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { deadUrl } from "../support/dead-url.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { waitFor } from "../support/wait-for.ts";
import { HELLO, scriptedBus } from "./scripted-bus.ts";

const welcome = (id: string) => JSON.stringify({ type: "welcome", sessionId: id, serverTime: 1 });

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function client(
  opts: Partial<RelayBusClientOptions> & Pick<RelayBusClientOptions, "relayUrl">,
): RelayBusClient {
  const c = new RelayBusClient({
    token: "tok",
    hello: HELLO,
    logger: silentLogger(),
    random: () => 0.5,
    ...opts,
  });
  cleanup.push(() => c.close());
  return c;
}

function bus(script: Parameters<typeof scriptedBus>[0]) {
  const b = scriptedBus(script);
  cleanup.push(() => b.server.stop(true));
  return b;
}

describe("RelayBusClient with several relays", () => {
  test("a refused first relay is followed by the next one at once, without a backoff delay", async () => {
    const clock = new ManualClock();
    const b = bus((ws) => ws.send(welcome("on-b")));
    const c = client({ relayUrl: [deadUrl(), b.url], clock });
    c.start();
    await waitFor(() => c.transportState === "reconnecting", { what: "the first relay refused" });
    expect(clock.nextDelay()).toBe(0);
    await clock.advance(0);
    await c.waitForOpen({ timeoutMs: 5_000 });
    expect(c.route.current).toBe(b.url);
  });

  test("a lost session moves to the next relay at once, and the client stays there while it works (no flapping back)", async () => {
    const clock = new ManualClock();
    // A welcomes the first session, then drops it; later sessions on A would be welcomed too.
    const a = bus((ws, n) => {
      ws.send(welcome(`a${n}`));
      if (n === 1) setTimeout(() => ws.close(1011, "going away"), 10);
    });
    const b = bus((ws, n) => ws.send(welcome(`b${n}`)));
    const c = client({ relayUrl: [a.url, b.url], clock, heartbeatIntervalMs: 1_000 });
    const sessions: string[] = [];
    c.on("connected", (s) => sessions.push(s.sessionId));
    c.start();
    await waitFor(() => c.transportState === "reconnecting", { what: "A dropped the session" });
    expect(clock.nextDelay()).toBe(0);
    await clock.advance(0);
    await waitFor(() => c.transportState === "open", { what: "open on B" });
    // A is reachable again, but the client has no reason to leave B: heartbeats go on, no new hello reaches A.
    await clock.advance(5_000);
    expect(sessions).toEqual(["a1", "b1"]);
    expect(a.hellos.length).toBe(1);
    expect(c.route.current).toBe(b.url);
  });

  test("when every relay fails the client backs off once per round, trying each relay in turn", async () => {
    const clock = new ManualClock();
    const [x, y] = [deadUrl(), deadUrl()];
    const c = client({ relayUrl: [x, y], clock });
    const tried: string[] = [];
    const delays: number[] = [];
    c.on("transport", (t) => {
      if (t.state === "connecting") tried.push(c.route.current);
    });
    c.start();
    for (let i = 0; i < 4; i++) {
      await waitFor(() => c.transportState === "reconnecting", { what: `failure ${i + 1}` });
      const d = clock.nextDelay() as number;
      delays.push(d);
      await clock.advance(d);
    }
    expect(delays).toEqual([0, 75, 0, 150]);
    expect(tried).toEqual([x, y, x, y, x]);
  });

  test("a relay that refuses the session at hello (an answer, not a connection failure) is retried, not left", async () => {
    const clock = new ManualClock();
    const a = bus((ws) => ws.send(JSON.stringify({ type: "error", code: "unauthorized", message: "no" })));
    const b = bus((ws) => ws.send(welcome("b")));
    const c = client({ relayUrl: [a.url, b.url], clock });
    c.start();
    await waitFor(() => c.transportState === "reconnecting", { what: "refused at hello" });
    expect(clock.nextDelay()).toBe(75);
    await clock.advance(75);
    await waitFor(() => a.hellos.length === 2, { what: "the retry on A" });
    expect(b.hellos.length).toBe(0);
    expect(c.route.current).toBe(a.url);
  });

  test("a switch of the shared route (what an HTTP connection failure does) moves the open bus session to the next relay too", async () => {
    const a = bus((ws, n) => ws.send(welcome(`a${n}`)));
    const b = bus((ws, n) => ws.send(welcome(`b${n}`)));
    // The HTTP side of A is gone (its port refuses), while its bus still answers: the route is what both share.
    const route = new RelayRoute([a.url, b.url]);
    const c = client({ relayUrl: route.urls, route });
    c.start();
    await c.waitForOpen({ timeoutMs: 5_000 });
    const http = new RelayHttpClient({ relayUrl: route.urls, route });
    cleanup.push(() => http.close());
    route.failed(a.url, "simulated: HTTP request refused");
    await waitFor(() => b.hellos.length === 1 && c.transportState === "open", { what: "bus on B" });
    expect(http.relayUrl).toBe(b.url);
  });
});
