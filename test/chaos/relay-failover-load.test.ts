// Chaos: three runners and the senders all given two relays (two relay processes on one SQLite file, then two
// replicas on one PostgreSQL database); the preferred relay is SIGKILLed mid-stream of claimable messages: every
// acknowledged message is delivered exactly once overall.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RelayHttpClient } from "../../src/relay-client/index.ts";
import { startPostgres, type TestPostgres } from "../support/postgres.ts";
import { waitFor } from "../support/wait-for.ts";
import { killSharedDbRelays, startSharedDbRelay } from "./shared-db-relays.ts";
import { chaosRunner, missing, settleAndCount, stopChaosRunners } from "./support.ts";

const ROOT = "failover-load-root-token-0123456789";
const TOTAL = 1_000;
const KILL_AFTER = 500;

let dir: string | undefined;
let pg: TestPostgres | undefined;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});
afterEach(async () => {
  await stopChaosRunners();
  await killSharedDbRelays();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(["sqlite", "postgres"])("relay failover under load (%s)", (store) => {
  test(`${TOTAL} claimable messages over 3 runners, the preferred relay killed after ${KILL_AFTER}: all on the survivor, none lost or doubled`, async () => {
    dir = mkdtempSync(join(tmpdir(), "chaos-failover-load-"));
    const db = store === "postgres" ? await pg!.createDatabase("failover") : join(dir, "relay.db");
    const a = await startSharedDbRelay(dir, db, ROOT);
    const b = await startSharedDbRelay(dir, db, ROOT);
    const urls = [a.url, b.url];
    const admin = new RelayHttpClient({ relayUrl: urls, token: ROOT, timeoutMs: 5_000 });
    const runners = await Promise.all(
      ["f1", "f2", "f3"].map(async (agentId) =>
        chaosRunner({
          relayUrl: urls,
          token: (await admin.createToken({ agentId, profileId: "provider-agent", ttlSeconds: 3600 })).token,
          agentId,
          tags: ["pool"],
          // On SQLite B pushes nothing to sessions on A: until the kill, what B stores reaches them by this unread read.
          timers: { livenessMs: 1_000 },
        }),
      ),
    );
    expect(runners.map((r) => r.runner.bus.route.current)).toEqual([a.url, a.url, a.url]);
    const all = () => runners.flatMap((r) => r.adapter.deliveries);

    // Senders fail over like the runners (one client each, the same list); only acknowledged ids are owed a delivery.
    const acked: number[] = [];
    let next = 0;
    let killed: Promise<number> | undefined;
    const sender = async () => {
      const http = new RelayHttpClient({ relayUrl: urls, token: ROOT, timeoutMs: 5_000 });
      try {
        while (next < TOTAL) {
          const i = next++;
          for (;;) {
            try {
              acked.push((await http.sendMessage({ to: "tag:pool", body: `m${i}`, claimable: true })).id);
              break;
            } catch {
              // A reset or a timeout is not resent by the client (the relay may have stored it): send it again.
            }
          }
          if (acked.length === KILL_AFTER && !killed) {
            killed = (async () => {
              const at = performance.now();
              const deliveredAtKill = all().length;
              await a.proc.kill();
              expect(deliveredAtKill).toBeLessThan(TOTAL);
              await waitFor(
                () =>
                  runners.every(
                    (r) => r.runner.bus.route.current === b.url && r.runner.bus.transportState === "open",
                  ),
                { timeoutMs: 5_000, intervalMs: 5, what: "every runner on relay B" },
              );
              return performance.now() - at;
            })();
          }
        }
      } finally {
        await http.close();
      }
    };
    await Promise.all(Array.from({ length: 8 }, sender));
    const failoverMs = await killed!;
    console.log(
      `failover under load (${store}): all 3 runners open on relay B ${failoverMs.toFixed(0)} ms after the kill`,
    );
    expect(failoverMs).toBeLessThan(1_000);

    await waitFor(() => missing(acked, all()).length === 0, {
      timeoutMs: 60_000,
      what: `all ${TOTAL} acknowledged messages delivered`,
    });
    expect(await settleAndCount(runners, acked)).toEqual({ sent: TOTAL, lost: 0, duplicated: 0 });
    for (const r of runners) {
      expect(r.runner.state).toBe("running");
      expect(r.adapter.deliveries.length).toBeGreaterThan(0);
      expect(r.runner.http.relayUrl).toBe(b.url);
    }
    await admin.close();
  }, 90_000);
});
