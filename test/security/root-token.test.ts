// The root token never reaches an agent, and no secret is on a command line: a runner whose relay was down when it
// started waits for a runtime token instead of handing the provider its root token, and no process shows a token
// in its argv (ps).
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { runTmux } from "../../src/providers/tmux/run.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { spawnRunnerCli } from "../support/runner.ts";
import { cleanupCommandClis, panePid, spawnCommandCli } from "../support/runner-cli.ts";
import { waitFor } from "../support/wait-for.ts";

const relays: TestRelay[] = [];
afterEach(async () => {
  await cleanupCommandClis();
  for (const r of relays.splice(0)) await r.close().catch(() => {});
});

function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** Every process's command line, as ps shows it to any local user. */
function allArgv(): string {
  return Bun.spawnSync(["ps", "-eww", "-o", "args="]).stdout.toString();
}

describe("the root token never reaches the provider", () => {
  test("relay down at start: the runner retries, then gives the provider a runtime token (env, tmux env, GET /v1/credentials)", async () => {
    const first = await startTestRelay();
    const { url, rootToken } = first;
    const port = Number(new URL(url).port);
    await first.close();

    const c = spawnCommandCli({
      agentId: "no-root",
      relayUrl: url,
      token: rootToken,
      env: { AGENT_RELAY_LOG_LEVEL: "debug" },
    });
    // Today's runner retries; the old one gave up minting at once ("could not mint") and used the root token.
    await waitFor(() => /retrying|could not mint/.test(c.runner.stderr()), {
      what: "a failed mint while the relay is down",
    });
    const relay = await startTestRelay({ port, rootToken });
    relays.push(relay);
    await c.up();

    const pid = await panePid(c);
    const env = environOf(pid);
    expect(env.AGENT_RELAY_TOKEN, "the provider holds a token").toBeDefined();
    expect(env.AGENT_RELAY_TOKEN).not.toBe(rootToken);
    expect(env.AGENT_RELAY_TOKEN!.split(".")).toHaveLength(3);
    expect(env.AGENT_RELAY_TOKEN_PROFILE).toBe("provider-agent");
    expect(Object.values(env).some((v) => v.includes(rootToken))).toBe(false);

    const server = Number(
      (await runTmux(c.socket, ["display-message", "-p", "#{pid}"], { env: c.tmuxEnv })).trim(),
    );
    expect(
      Object.values(environOf(server)).some((v) => v.includes(rootToken)),
      "tmux server's environ",
    ).toBe(false);
    for (const scope of [["-g"], ["-t", "agent-no-root"]]) {
      const tmuxEnv = await runTmux(c.socket, ["show-environment", ...scope], { env: c.tmuxEnv });
      expect(tmuxEnv.includes(rootToken), `tmux show-environment ${scope.join(" ")}`).toBe(false);
    }

    const res = await fetch(`${env.AGENT_RELAY_CONTROL_URL}/v1/credentials`, {
      headers: { authorization: `Bearer ${env.AGENT_RELAY_CONTROL_SECRET}` },
    });
    expect(res.status).toBe(200);
    const creds = (await res.json()) as { token: string; agentId: string };
    expect(creds.agentId).toBe("no-root");
    expect(creds.token).not.toBe(rootToken);

    // What the runtime token can do: act as no-root, and not as root.
    const asAgent = await relay.call(creds.token, "POST", "/v1/tokens", {
      agentId: "someone-else",
      profileId: "provider-agent",
    });
    expect(asAgent.status).toBe(403);
  }, 40_000);

  test("no token on any command line: not the runner's, its tmux server's or the provider's", async () => {
    const relay = await startTestRelay();
    relays.push(relay);
    const c = spawnCommandCli({ agentId: "argv-clean", relayUrl: relay.url, token: relay.rootToken });
    await c.up();
    const pid = await panePid(c);
    const runtime = environOf(pid).AGENT_RELAY_TOKEN!;
    const argv = allArgv();
    expect(argv).toContain("argv-clean");
    expect(argv.includes(relay.rootToken), "root token in some argv").toBe(false);
    expect(argv.includes(runtime), "runtime token in some argv").toBe(false);
  }, 30_000);

  test("--token on the command line is refused (exit 2) with a line naming the env and file twins", async () => {
    const secret = "s3cret-root-token-on-argv";
    const r = spawnRunnerCli(["--provider", "command", "--token", secret, "--", "true"], {
      HOME: "/nonexistent",
    });
    expect(await r.exited).toBe(2);
    await waitFor(() => r.stderr().includes("\n"), { what: "the error line" });
    expect(r.stderr()).toContain("AGENT_RELAY_TOKEN");
    expect(r.stderr()).toContain("--token-file");
    expect(r.stderr()).not.toContain(secret);
  });
});
