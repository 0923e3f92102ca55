// Chaos: the relay process is SIGKILLed mid-stream and restarted on the same port and database; nothing is lost or doubled.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RelayProcess, spawnRelayProcess } from "../support/relay-process.ts";
import { waitFor } from "../support/wait-for.ts";
import { chaosRunner, missing, settleAndCount, stopChaosRunners } from "./support.ts";

const ROOT = "chaos-root-token-0123456789abcdef";
const TOTAL = 1_000;
const KILL_AFTER = 300;

let relay: RelayProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  await stopChaosRunners();
  await relay?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function startRelay(port: number, db: string): RelayProcess {
  return spawnRelayProcess(["--port", String(port), "--db", db, "--log-level", "warn"], {
    HOME: dir!,
    AGENT_RELAY_ROOT_TOKEN: ROOT,
  });
}

async function call(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ROOT}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
}

describe("relay SIGKILL mid-stream", () => {
  test(`${TOTAL} claimable messages over 3 runners, relay killed after ${KILL_AFTER} were accepted: each accepted message is delivered exactly once overall`, async () => {
    dir = mkdtempSync(join(tmpdir(), "chaos-kill-"));
    const db = join(dir, "relay.db");
    relay = startRelay(0, db);
    const url = await relay.waitForUrl(15_000);
    const port = Number(new URL(url).port);
    const token = async (agentId: string) => {
      const res = await call(url, "/v1/tokens", { agentId, profileId: "provider-agent", ttlSeconds: 3600 });
      return ((await res.json()) as { token: string }).token;
    };
    const runners = await Promise.all(
      ["k1", "k2", "k3"].map(async (agentId) =>
        chaosRunner({
          relayUrl: url,
          token: await token(agentId),
          agentId,
          tags: ["pool"],
          timers: { livenessMs: 1_000 },
        }),
      ),
    );
    const all = () => runners.flatMap((r) => r.adapter.deliveries);

    // Senders retry a message until the relay acknowledges it; only acknowledged ids are owed a delivery.
    const acked: number[] = [];
    let up = true;
    let killed: Promise<void> | undefined;
    let next = 0;
    const sender = async () => {
      while (next < TOTAL) {
        const i = next++;
        for (;;) {
          try {
            const res = await call(url, "/v1/messages", { to: "tag:pool", body: `m${i}`, claimable: true });
            if (res.status !== 200) throw new Error(`status ${res.status}`);
            acked.push(((await res.json()) as { id: number }).id);
            break;
          } catch {
            await waitFor(() => up, { timeoutMs: 30_000, what: "the relay to come back" });
          }
        }
        if (acked.length === KILL_AFTER && !killed) {
          killed = (async () => {
            up = false;
            const deliveredAtKill = all().length;
            await relay!.kill();
            expect(deliveredAtKill).toBeLessThan(TOTAL);
            relay = startRelay(port, db);
            await relay.waitForUrl(15_000);
            up = true;
          })();
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, sender));
    await killed;

    await waitFor(() => missing(acked, all()).length === 0, {
      timeoutMs: 60_000,
      what: `all ${TOTAL} acknowledged messages delivered`,
    });
    expect(await settleAndCount(runners, acked)).toEqual({ sent: TOTAL, lost: 0, duplicated: 0 });
    // Every runner took part (the pool spread the work) and none of them stopped.
    for (const r of runners) {
      expect(r.adapter.deliveries.length).toBeGreaterThan(0);
      expect(r.runner.state).toBe("running");
    }
  }, 90_000);
});
