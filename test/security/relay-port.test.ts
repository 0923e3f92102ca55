// Issue 9 item 19: two relays never share a port, and a runner reuses the relay in relay.json only when it accepts
// the token written there.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRunnerConfig } from "../../src/config/index.ts";
import { readRelayInfoFile, writeRelayInfoFile } from "../../src/relay/local-info.ts";
import { resolveRelayTarget } from "../../src/runner/relay-target.ts";
import { systemClock } from "../../src/util/clock.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { startTestRelay } from "../support/relay.ts";
import { type RelayProcess, spawnRelayProcess } from "../support/relay-process.ts";

setDefaultTimeout(25_000);

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), "relay-port-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function spawn(args: string[], env: Record<string, string>): RelayProcess {
  const child = spawnRelayProcess(args, env);
  cleanups.push(() => child.kill());
  return child;
}

describe("one relay per port", () => {
  test("a second relay on a taken port exits 1 with one line naming the port; the first keeps serving alone", async () => {
    const home = tempHome();
    const first = spawn(["--port", "0", "--db", join(home, "a.db")], {
      HOME: home,
      AGENT_RELAY_ROOT_TOKEN: "first-root-token-0123",
    });
    const url = await first.waitForUrl();
    const port = new URL(url).port;
    const second = spawn(["--port", port, "--db", join(home, "b.db")], {
      HOME: home,
      AGENT_RELAY_ROOT_TOKEN: "second-root-token-012",
    });
    // A deadline, not a sleep: the second relay must have exited by then.
    const code = await Promise.race([second.exited, Bun.sleep(10_000).then(() => "still running")]);
    expect(code).toBe(1);
    const lines = second.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`127.0.0.1:${port} is already in use`);
    expect(second.stdout()).not.toContain("listening");
    // Every request lands on the first relay: its token is accepted every time.
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${url}/v1/agents`, {
        headers: { authorization: "Bearer first-root-token-0123" },
      });
      expect(res.status).toBe(200);
    }
  });
});

describe("reusing the local relay named in relay.json", () => {
  const oldHome = process.env.HOME;
  afterEach(() => {
    process.env.HOME = oldHome;
  });

  async function resolveWith(home: string) {
    process.env.HOME = home;
    const config = parseRunnerConfig(["--provider", "command", "--agent-id", "probe", "--", "bash"], {
      HOME: home,
    });
    const logger = silentLogger();
    const budget = {
      clock: systemClock,
      deadline: Date.now() + 15_000,
      signal: new AbortController().signal,
      logger,
    };
    const target = await resolveRelayTarget(config, logger, budget);
    cleanups.push(() => target.embedded?.stop());
    return target;
  }

  test("a running relay that refuses the token in relay.json is not used: an embedded relay starts and relay.json names it", async () => {
    const other = await startTestRelay();
    cleanups.push(() => other.close());
    const home = tempHome();
    const info = join(home, ".agent-relay", "relay.json");
    writeRelayInfoFile(info, { url: other.url, rootToken: "a-token-this-relay-never-issued" });
    const target = await resolveWith(home);
    expect(target.embedded).toBeDefined();
    expect(target.url).not.toBe(other.url);
    expect(readRelayInfoFile(info)?.url).toBe(target.url);
    // The runner's token works on the relay it chose.
    const res = await fetch(`${target.url}/v1/agents/probe`, {
      headers: { authorization: `Bearer ${target.credentials.token}` },
    });
    expect(res.status).toBe(404);
  });

  test("a running relay that accepts the token in relay.json is reused", async () => {
    const other = await startTestRelay();
    cleanups.push(() => other.close());
    const home = tempHome();
    writeRelayInfoFile(join(home, ".agent-relay", "relay.json"), {
      url: other.url,
      rootToken: other.rootToken,
    });
    const target = await resolveWith(home);
    expect(target.embedded).toBeUndefined();
    expect(target.url).toBe(other.url);
  });
});
