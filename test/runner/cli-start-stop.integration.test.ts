// The real runner CLI when things go wrong at the edges of its life: a refused token, an unreachable relay, a stop
// signal during start-up, and SIGTERM while its relay is down. A runner must always end, with a clear line.
import { afterEach, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { cleanupCommandClis, spawnCommandCli, tmuxAlive } from "../support/runner-cli.ts";
import { waitFor } from "../support/wait-for.ts";

/** A loopback port nothing listens on (a relay was there a moment ago). */
async function closedPortUrl(): Promise<string> {
  const t = await startTestRelay();
  const url = t.url;
  await t.close();
  return url;
}

const relays: TestRelay[] = [];
afterEach(async () => {
  await cleanupCommandClis();
  for (const r of relays.splice(0)) await r.close().catch(() => {});
});

/** What the runner printed that is not a JSON log record: its own one-line messages. */
function saidLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("agent-relay-runner: "));
}

describe("runner CLI start-up failures end the process", () => {
  test("a refused token: exit 1 at once with one line saying so, no retries", async () => {
    const relay = await startTestRelay();
    relays.push(relay);
    const c = spawnCommandCli({ agentId: "refused", relayUrl: relay.url, token: "not-a-valid-token" });
    const code = await c.runner.exited;
    expect(code, c.runner.stderr()).toBe(1);
    const said = saidLines(c.runner.stderr());
    expect(said, c.runner.stderr()).toHaveLength(1);
    expect(said[0]).toContain("relay refused the token (401");
    expect(c.runner.stderr()).not.toContain("retrying");
  }, 15_000);

  test("an unreachable relay: retried until the start deadline, then exit 1", async () => {
    const url = await closedPortUrl();
    const c = spawnCommandCli({
      agentId: "unreachable",
      relayUrl: url,
      token: "some-root-token-0123456789",
      env: { AGENT_RELAY_START_TIMEOUT_MS: "2000" },
    });
    const code = await c.runner.exited;
    expect(code, c.runner.stderr()).toBe(1);
    expect(c.runner.stderr()).toContain("retrying");
    const said = saidLines(c.runner.stderr());
    expect(said.at(-1)).toContain("could not start");
    expect(said.at(-1)).toContain("start deadline");
    expect(await tmuxAlive(c), "no provider was started").toBe(false);
  }, 15_000);

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`${signal} during start-up (relay unreachable) ends the runner`, async () => {
      const url = await closedPortUrl();
      const c = spawnCommandCli({
        agentId: `start-${signal.toLowerCase()}`,
        relayUrl: url,
        token: "some-root-token-0123456789",
        env: { AGENT_RELAY_START_TIMEOUT_MS: "120000" },
      });
      await waitFor(() => c.runner.stderr().includes("retrying"), { what: "a retry warning" });
      c.runner.proc.kill(signal);
      const code = await c.runner.exited;
      expect(code, c.runner.stderr()).toBe(0);
      expect(c.runner.stderr()).toContain(`${signal}: stopping`);
    }, 15_000);
  }
});

describe("runner CLI stopped while its provider starts", () => {
  test("SIGTERM while the provider is not ready yet: exit 0, the provider and its tmux server gone", async () => {
    const relay = await startTestRelay();
    relays.push(relay);
    const c = spawnCommandCli({
      agentId: "slow-start",
      relayUrl: relay.url,
      token: relay.rootToken,
      env: { ECHO_AGENT_START_DELAY_MS: "20000" },
    });
    await waitFor(() => tmuxAlive(c), { what: "the provider's tmux server" });
    c.runner.proc.kill("SIGTERM");
    const code = await c.runner.exited;
    expect(code, c.runner.stderr()).toBe(0);
    expect(c.runner.stderr()).not.toContain("is up");
    expect(await tmuxAlive(c), "tmux server left behind").toBe(false);
    expect((await relay.call(relay.rootToken, "GET", "/v1/agents/slow-start")).status).toBe(404);
  }, 30_000);
});

describe("runner CLI shutdown with its relay down", () => {
  test("SIGTERM stops a running runner whose relay was killed; its tmux server is gone", async () => {
    const relay = await startTestRelay();
    relays.push(relay);
    const c = spawnCommandCli({ agentId: "relay-gone", relayUrl: relay.url, token: relay.rootToken });
    await c.up();
    await relay.close();
    c.runner.proc.kill("SIGTERM");
    const code = await c.runner.exited;
    expect(code, c.runner.stderr()).toBe(0);
    expect(c.runner.stderr()).toContain("SIGTERM: stopping");
    expect(await tmuxAlive(c), "tmux server left behind").toBe(false);
  }, 30_000);

  test("a second SIGTERM during shutdown exits at once (128 + 15)", async () => {
    const relay = await startTestRelay();
    relays.push(relay);
    const c = spawnCommandCli({ agentId: "twice", relayUrl: relay.url, token: relay.rootToken });
    await c.up();
    await relay.close();
    c.runner.proc.kill("SIGTERM");
    await waitFor(() => c.runner.stderr().includes("SIGTERM: stopping"), { what: "the first stop line" });
    c.runner.proc.kill("SIGTERM");
    const code = await c.runner.exited;
    // The first stop waits (with a deadline) for the dead relay; the second signal does not.
    expect(code, c.runner.stderr()).toBe(143);
    expect(c.runner.stderr()).toContain("SIGTERM during shutdown: exiting now");
    // Leaving at once, it still takes its tmux server (and so the provider) down.
    expect(await tmuxAlive(c), "tmux server left behind").toBe(false);
  }, 30_000);
});
