// The relay's quota and retention options: flags with env twins, parsed from one table.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRelayQuotas } from "../../src/config/relay-options.ts";
import { type RelayProcess, spawnRelayProcess } from "../support/relay-process.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("parseRelayQuotas", () => {
  test("flags win over env twins, each is scaled to the quota's unit, and unset ones are left to the defaults", () => {
    const parsed = parseRelayQuotas(
      { sendRate: "50", retainDays: "3", attachmentQuotaMib: "0" },
      { AGENT_RELAY_SEND_RATE: "7", AGENT_RELAY_SEND_BURST: "70", AGENT_RELAY_RETAIN_READ_DAYS: "" },
    );
    expect(parsed).toEqual({
      ok: true,
      value: { sendRatePerSecond: 50, sendBurst: 70, retainMs: 3 * 24 * 3600_000, attachmentQuotaBytes: 0 },
    });
  });

  test("a bad value names the option and its env twin, what is allowed, and the value given", () => {
    expect(parseRelayQuotas({}, { AGENT_RELAY_MAX_SESSIONS_PER_AGENT: "0" })).toEqual({
      ok: false,
      error:
        "invalid --max-sessions-per-agent / AGENT_RELAY_MAX_SESSIONS_PER_AGENT: must be a whole number, 1 or more (got '0')",
    });
    expect(parseRelayQuotas({ sendRate: "fast" }, {})).toMatchObject({ ok: false });
    expect(parseRelayQuotas({ retainDays: "-1" }, {})).toMatchObject({ ok: false });
  });
});

describe("agent-relay-runner relay with quota options", () => {
  test("--send-burst 2 --send-rate 1: a runtime token's third quick send is a 429; a bad value exits 2 naming it", async () => {
    const home = mkdtempSync(join(tmpdir(), "relay-quota-"));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const root = "root-token-for-the-quota-test";
    const child: RelayProcess = spawnRelayProcess(
      ["--port", "0", "--db", join(home, "r.db"), "--send-burst", "2"],
      { HOME: home, AGENT_RELAY_SEND_RATE: "1", AGENT_RELAY_ROOT_TOKEN: root },
    );
    cleanups.push(() => child.kill());
    const url = await child.waitForUrl();
    const minted = await fetch(`${url}/v1/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${root}`, "content-type": "application/json" },
      body: JSON.stringify({ agentId: "a", profileId: "provider-agent", ttlSeconds: 600 }),
    });
    const { token } = (await minted.json()) as { token: string };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/v1/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ to: "b", body: String(i) }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 429]);

    const bad = spawnRelayProcess(["--port", "0", "--db", join(home, "r2.db"), "--retain-days", "soon"], {
      HOME: home,
    });
    cleanups.push(() => bad.kill());
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain("invalid --retain-days / AGENT_RELAY_RETAIN_DAYS");
  });
});
