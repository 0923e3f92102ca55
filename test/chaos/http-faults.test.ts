// Chaos: the relay answers the runner with 5xx and slow responses (a fault-injecting proxy); the runner backs off,
// logs each kind of failure once, and delivers everything once the relay is healthy again.
import { afterEach, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";
import {
  capturedLogger,
  chaosRunner,
  duplicates,
  type FaultProxy,
  faultProxy,
  missing,
  stopChaosRunners,
  warnCounts,
} from "./support.ts";

const FAULT_MS = 4_000;
const PER_KIND = 20;

let relay: TestRelay | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await stopChaosRunners();
  proxy?.close();
  await relay?.close();
});

describe("HTTP 5xx and slow answers from the relay", () => {
  test(`${PER_KIND} claimable + ${PER_KIND} plain messages during 4 s of 503/500/502 and 1.5 s stalls: 0 lost, 0 duplicated, each warning logged once, claims backed off`, async () => {
    relay = await startTestRelay();
    let faulty = false;
    let faultStart = 0;
    const claimsRefused: number[] = [];
    proxy = faultProxy(relay.url, (req, path) => {
      if (!faulty) return { kind: "pass" };
      // First half: claims refused; second half: claims pass but read marks fail after the provider has the message.
      const firstHalf = Date.now() - faultStart < FAULT_MS / 2;
      // Per-message and batch endpoints alike (…/messages/:id/claim, …/agents/:id/claims; …/read for both).
      if (/\/claims?$/.test(path) && firstHalf) {
        claimsRefused.push(Date.now());
        return { kind: "status", status: 503 };
      }
      if (path.endsWith("/read")) return { kind: "status", status: 500 };
      if (path.endsWith("/unread")) return { kind: "delay", ms: 1_500 };
      if ((req.method === "PUT" && path.endsWith("/status")) || path.endsWith("/liveness"))
        return { kind: "status", status: 502 };
      if (path.endsWith("/heartbeat")) return { kind: "delay", ms: 1_500 };
      return { kind: "pass" };
    });
    const { logger, records } = capturedLogger();
    const r = await chaosRunner({
      relayUrl: proxy.url,
      token: await relay.mintToken("flaky"),
      agentId: "flaky",
      logger,
      timers: { livenessMs: 500 },
    });

    faultStart = Date.now();
    faulty = true;
    const acked: number[] = [];
    for (let i = 0; i < PER_KIND; i++) {
      for (const claimable of [true, false]) {
        const res = await relay.call(relay.rootToken, "POST", "/v1/messages", {
          to: "flaky",
          body: `f${i}-${claimable}`,
          claimable,
        });
        acked.push(res.body.id);
      }
    }
    await waitFor(() => Date.now() - faultStart >= FAULT_MS, {
      timeoutMs: FAULT_MS + 1_000,
      what: "fault window",
    });
    faulty = false;

    await waitFor(() => missing(acked, r.adapter.deliveries).length === 0, {
      timeoutMs: 40_000,
      what: `all ${acked.length} messages delivered after the faults stopped`,
    });
    // Read marks refused during the faults are retried: nothing delivered stays unread at the relay.
    await waitFor(
      async () =>
        (await relay!.call(relay!.rootToken, "GET", "/v1/agents/flaky/unread")).body.messages.length === 0,
      { timeoutMs: 10_000, what: "the relay to list nothing unread for the runner" },
    );
    await r.runner.queue.idle();

    expect({
      sent: acked.length,
      lost: missing(acked, r.adapter.deliveries).length,
      duplicated: duplicates(r.adapter.deliveries).length,
    }).toEqual({ sent: 2 * PER_KIND, lost: 0, duplicated: 0 });
    // Backoff: a runner retrying without pause would have made hundreds of claim calls in 4 s.
    expect(claimsRefused.length).toBeGreaterThan(0);
    expect(claimsRefused.length).toBeLessThanOrEqual(8);
    // Logged once per kind of failure, however many messages or rounds hit it.
    const counts = warnCounts(records);
    expect(Object.keys(counts).length).toBeGreaterThan(0);
    for (const [msg, n] of Object.entries(counts)) expect({ msg, n }).toEqual({ msg, n: 1 });
    expect(r.runner.state).toBe("running");
  }, 60_000);
});
