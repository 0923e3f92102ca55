// Chaos: every connection between runner and relay (bus and HTTP) is cut every 2.5 s for 15 s while messages flow.
import { afterEach, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";
import { chaosRunner, duplicates, missing, stopChaosRunners, type TcpProxy, tcpProxy } from "./support.ts";

// 15 s with a cut every 2.5 s gives six cuts, each landing in a different phase (bus open, reconnect backoff,
// HTTP claims and read marks in flight); 30 s would only repeat those phases and double the suite's time.
const DURATION_MS = 15_000;
const CUT_EVERY_MS = 2_500;
const RATE = 25;

let relay: TestRelay | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await stopChaosRunners();
  proxy?.close();
  await relay?.close();
});

describe("network cuts between runner and relay", () => {
  test(`${(DURATION_MS / 1000) * RATE} messages (half claimable) during six cuts in 15 s: none lost, none twice into the provider session`, async () => {
    relay = await startTestRelay();
    proxy = tcpProxy(relay.relay.port);
    const r = await chaosRunner({
      relayUrl: proxy.url,
      token: await relay.mintToken("cut"),
      agentId: "cut",
      timers: { livenessMs: 2_000 },
    });
    let connects = 0;
    r.runner.bus.on("connected", () => connects++);

    const acked: number[] = [];
    const cutSizes: number[] = [];
    const cutter = setInterval(() => cutSizes.push(proxy!.cut()), CUT_EVERY_MS);
    const start = Date.now();
    try {
      for (let i = 0; Date.now() - start < DURATION_MS; i++) {
        // Senders talk to the relay directly: only the runner's path is cut.
        const res = await relay.call(relay.rootToken, "POST", "/v1/messages", {
          to: "cut",
          body: `c${i}`,
          claimable: i % 2 === 0,
        });
        expect(res.status).toBe(200);
        acked.push(res.body.id);
        await new Promise((resolve) => setTimeout(resolve, 1000 / RATE));
      }
    } finally {
      clearInterval(cutter);
    }
    await waitFor(() => missing(acked, r.adapter.deliveries).length === 0, {
      timeoutMs: 30_000,
      what: `all ${acked.length} messages delivered after the last cut`,
    });
    await r.runner.liveness.readUnread();
    await r.runner.queue.idle();

    const sessions = new Set(r.adapter.deliveries.map((d) => d.session));
    expect({
      sent: acked.length,
      lost: missing(acked, r.adapter.deliveries).length,
      duplicatedInSession: duplicates(r.adapter.deliveries, true).length,
      providerSessions: sessions.size,
    }).toEqual({ sent: acked.length, lost: 0, duplicatedInSession: 0, providerSessions: 1 });
    // The cuts really broke live connections, and the bus came back after them.
    expect(cutSizes.length).toBeGreaterThanOrEqual(5);
    expect(cutSizes.filter((n) => n > 0).length).toBeGreaterThanOrEqual(4);
    expect(connects).toBeGreaterThanOrEqual(4);
    expect(r.runner.state).toBe("running");
  }, 60_000);
});
