// Chaos: a runtime token with a 10 s lifetime, renewed again and again for 30 s while messages flow.
import { afterEach, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";
import {
  chaosRunner,
  duplicates,
  type FaultProxy,
  faultProxy,
  missing,
  stopChaosRunners,
} from "./support.ts";

// 30 s is three whole token lifetimes. The renewal lead is clamped to 1 min, so a 10 s token is renewed ~1 s after
// it was issued: ~25 renewals (and bus reconnects) in 30 s. Another 30 s would repeat the same swap ~25 more times.
const DURATION_MS = 30_000;
const RATE = 10;

let relay: TestRelay | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await stopChaosRunners();
  proxy?.close();
  await relay?.close();
});

describe("short-lived runtime token renewed continuously", () => {
  test(`ttl 10 s for 30 s, ${(DURATION_MS / 1000) * RATE} messages: no 401 reaches the runner, 0 lost, 0 duplicated, the bus reconnects on every renewal`, async () => {
    // A superseded token keeps working for 1.5 s only (the default is 30 s, which would hide a late swap).
    relay = await startTestRelay({ tokenGraceMs: 1_500 });
    proxy = faultProxy(relay.url, () => ({ kind: "pass" }));
    const r = await chaosRunner({
      relayUrl: proxy.url,
      token: await relay.mintToken("short", "provider-agent", 10),
      agentId: "short",
      timers: { livenessMs: 1_000 },
    });
    let renewals = 0;
    let connects = 0;
    r.runner.credentials.onChange(() => renewals++);
    r.runner.bus.on("connected", () => connects++);

    const acked: number[] = [];
    const start = Date.now();
    for (let i = 0; Date.now() - start < DURATION_MS; i++) {
      const res = await relay.call(relay.rootToken, "POST", "/v1/messages", { to: "short", body: `t${i}` });
      acked.push(res.body.id);
      await new Promise((resolve) => setTimeout(resolve, 1000 / RATE));
    }
    await waitFor(() => missing(acked, r.adapter.deliveries).length === 0, {
      timeoutMs: 15_000,
      what: `all ${acked.length} messages delivered`,
    });
    await r.runner.queue.idle();
    // Freeze the count: no renewal after this one, and the last renewal's reconnect may still be under way.
    r.runner.renewer.stop();
    await waitFor(() => connects === renewals && proxy!.busConnections === renewals + 1, {
      timeoutMs: 10_000,
      what: "the last renewal's bus reconnect",
    }).catch(() => undefined);

    expect({
      sent: acked.length,
      lost: missing(acked, r.adapter.deliveries).length,
      duplicated: duplicates(r.adapter.deliveries).length,
      http401: proxy.upstreamStatuses[401] ?? 0,
      http403: proxy.upstreamStatuses[403] ?? 0,
      busErrorFrames: proxy.busFrames.error ?? 0,
    }).toEqual({ sent: acked.length, lost: 0, duplicated: 0, http401: 0, http403: 0, busErrorFrames: 0 });
    // Well past three lifetimes of the first token: renewal kept up, and each renewal opened a new bus socket
    // (the first socket is the start-up one) that was welcomed.
    expect(renewals).toBeGreaterThanOrEqual(10);
    expect({ renewals, reconnects: connects, busSockets: proxy.busConnections }).toEqual({
      renewals,
      reconnects: renewals,
      busSockets: renewals + 1,
    });
    expect(r.runner.liveness.paused).toBe(false);
    expect(r.runner.state).toBe("running");
  }, 60_000);
});
