// Chaos: a real runner given two relays (two relay processes on one SQLite file) loses the one it is on to SIGKILL;
// it is on the other within a second and every message sent before and after the kill is delivered exactly once.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { receivedInputs } from "../fixtures/echo-agent-record.ts";
import { deadUrl } from "../support/dead-url.ts";
import { cleanupCommandClis, spawnCommandCli } from "../support/runner-cli.ts";
import { waitFor } from "../support/wait-for.ts";
import { killSharedDbRelays, startSharedDbRelay } from "./shared-db-relays.ts";

const ROOT = "failover-root-token-0123456789abcdef";
const BEFORE = 5;
const AFTER = 5;

let dir: string | undefined;
afterEach(async () => {
  await cleanupCommandClis();
  await killSharedDbRelays();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function call(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ROOT}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** How many times the agent's terminal got each relay message id (a paste may carry several). */
function deliveredCounts(record: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const input of receivedInputs(record)) {
    for (const m of input.text.matchAll(/relay message #(\d+)/g)) {
      const id = Number(m[1]);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

describe("runner failover between two relays on one database", () => {
  test("the relay the runner is on is SIGKILLed: it is on the other within a second, and nothing is lost or doubled", async () => {
    dir = mkdtempSync(join(tmpdir(), "chaos-failover-"));
    const db = join(dir, "relay.db");
    const a = await startSharedDbRelay(dir, db, ROOT);
    const b = await startSharedDbRelay(dir, db, ROOT);
    const agentId = "failover-echo";
    const cli = spawnCommandCli({ agentId, relayUrl: `${a.url},${b.url}`, token: ROOT });
    await cli.up(30_000);
    const agent = async () =>
      (await call(b.url, "GET", `/v1/agents/${agentId}`)) as { meta?: Record<string, unknown> };
    // The runner prefers the first relay; B reads the same rows, so it sees where the runner says it is.
    await waitFor(async () => (await agent()).meta?.relayUrl === a.url, { what: "the runner on relay A" });

    const sent: number[] = [];
    const send = async (i: number) => {
      const m = await call(b.url, "POST", "/v1/messages", { to: agentId, from: "boss", body: `m${i}` });
      sent.push(m.id as number);
    };
    // Sent through B while the runner listens on A's bus: B pushes them to no one, they wait in the shared database.
    for (let i = 0; i < BEFORE; i++) await send(i);

    // None of them reached the agent yet: what delivers them is the unread read after the reconnect to B.
    const beforeKill = deliveredCounts(cli.record);
    expect(sent.filter((id) => beforeKill.has(id))).toEqual([]);
    const killedAt = performance.now();
    await a.proc.kill();
    await waitFor(
      async () => {
        const meta = (await agent()).meta;
        return meta?.relayUrl === b.url && meta?.transportState === "open";
      },
      { timeoutMs: 5_000, intervalMs: 10, what: "the runner on relay B" },
    );
    const failoverMs = performance.now() - killedAt;
    console.log(`failover: runner on relay B ${failoverMs.toFixed(0)} ms after relay A was killed`);
    expect(failoverMs).toBeLessThan(1_000);

    for (let i = BEFORE; i < BEFORE + AFTER; i++) await send(i);
    await waitFor(() => sent.every((id) => deliveredCounts(cli.record).has(id)), {
      timeoutMs: 20_000,
      what: `all ${sent.length} messages in the agent's terminal`,
    });
    // Settled on the relay too: nothing left unread for the agent.
    await waitFor(
      async () =>
        ((await call(b.url, "GET", `/v1/agents/${agentId}/unread`)).messages as unknown[]).length === 0,
      { what: "no unread messages left" },
    );
    const counts = deliveredCounts(cli.record);
    expect(sent.map((id) => counts.get(id))).toEqual(sent.map(() => 1));
    // The switch is logged once, naming the relays by origin.
    const switches = cli.runner.stderr().match(/relay failover/g) ?? [];
    expect(switches.length).toBe(1);
    expect(cli.runner.stderr()).not.toContain(ROOT);
  }, 60_000);

  test("a runner whose preferred relay is down at start starts on the next one and takes messages there", async () => {
    dir = mkdtempSync(join(tmpdir(), "chaos-failover-start-"));
    const b = await startSharedDbRelay(dir, join(dir, "relay.db"), ROOT);
    const agentId = "failover-late";
    const cli = spawnCommandCli({ agentId, relayUrl: `${deadUrl()},${b.url}`, token: ROOT });
    await cli.up(30_000);
    await waitFor(
      async () =>
        ((await call(b.url, "GET", `/v1/agents/${agentId}`)).meta as { relayUrl?: string })?.relayUrl ===
        b.url,
      { what: "the runner on relay B" },
    );
    const m = await call(b.url, "POST", "/v1/messages", { to: agentId, from: "boss", body: "hello" });
    await waitFor(() => deliveredCounts(cli.record).get(m.id as number) === 1, {
      what: "the message delivered",
    });
  }, 60_000);
});
