// A runner killed with SIGKILL leaves its tmux server and provider running and its task in progress; the next
// runner of the same agent ends what was left and delivers the task again. A closed terminal (SIGHUP) stops a
// runner gracefully.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { isProcessRunning } from "../../src/providers/tmux/process.ts";
import { runTmux } from "../../src/providers/tmux/run.ts";
import { RESUME_NOTE } from "../../src/runner/restart-recovery.ts";
import { receivedInputs } from "../fixtures/echo-agent-record.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { cleanupCommandClis, panePid, spawnCommandCli, tmuxAlive } from "../support/runner-cli.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.close();
});
afterEach(cleanupCommandClis);

async function taskStatus(
  id: number,
): Promise<{ status: string; history: { status: string; body?: string }[] }> {
  return (await relay.call(relay.rootToken, "GET", `/v1/tasks/${id}`)).body;
}

describe("a runner restarted after SIGKILL", () => {
  test("ends the provider and tmux server its predecessor left, and delivers the task it held again", async () => {
    // The fixture keeps working for a long time on each input: the task stays in progress.
    const env = { ECHO_AGENT_WORK_MS: "600000" };
    const first = spawnCommandCli({ agentId: "orphan", relayUrl: relay.url, token: relay.rootToken, env });
    await first.up();
    const task = (await relay.call(relay.rootToken, "POST", "/v1/tasks", { title: "long work" })).body;
    const sent = (
      await relay.call(relay.rootToken, "POST", "/v1/messages", {
        from: "boss",
        to: "orphan",
        body: "do the long work",
        payload: { taskId: task.id },
      })
    ).body;
    const delivered = () =>
      receivedInputs(first.record).filter((i) => i.text.includes(`#${sent.id} `)).length;
    await waitFor(() => delivered() === 1, { what: "the task message in the provider" });
    await waitFor(async () => (await taskStatus(task.id)).status === "in_progress", {
      what: "task in_progress",
    });
    const orphanPid = await panePid(first);
    const orphanServer = Number(
      (await runTmux(first.socket, ["list-sessions", "-F", "#{pid}"], { env: first.tmuxEnv })).trim(),
    );

    first.runner.proc.kill("SIGKILL");
    await first.runner.exited;
    expect(await tmuxAlive(first), "SIGKILL leaves the tmux server").toBe(true);
    expect(isProcessRunning(orphanPid), "and the provider").toBe(true);

    // Same agent and HOME, another runner id: the same tmux socket (named after the agent), a new server on it.
    const second = spawnCommandCli({
      agentId: "orphan",
      relayUrl: relay.url,
      token: relay.rootToken,
      env,
      home: first.home,
      runnerId: "cli-orphan-2",
    });
    await second.up();
    expect(isProcessRunning(orphanPid), "the orphaned provider was ended").toBe(false);
    expect(isProcessRunning(orphanServer), "the orphaned tmux server was ended").toBe(false);
    expect(await tmuxAlive(second)).toBe(true);

    // Generous: under a loaded CI box the new runner's start, claim and paste can take more than the default 10 s.
    await waitFor(() => delivered() === 2, {
      what: "the task message delivered again to the new provider",
      timeoutMs: 30_000,
    });
    const t = await taskStatus(task.id);
    expect(t.status).toBe("in_progress");
    expect(t.history.map((h) => h.status).slice(-3)).toEqual(["in_progress", "open", "in_progress"]);
    expect(t.history.at(-2)?.body).toBe(RESUME_NOTE);
  }, 60_000);

  test("a second runner of an agent still running on this machine is refused in one line; the first keeps running", async () => {
    const first = spawnCommandCli({ agentId: "twin", relayUrl: relay.url, token: relay.rootToken });
    await first.up();
    const firstPane = await panePid(first);
    const second = spawnCommandCli({
      agentId: "twin",
      relayUrl: relay.url,
      token: relay.rootToken,
      home: first.home,
      runnerId: "cli-twin-2",
    });
    expect(await second.runner.exited).toBe(1);
    expect(second.runner.stderr()).toContain(
      `agent-relay-runner: agent twin already runs on this machine (runner pid ${first.runner.proc.pid}); stop it first`,
    );
    // Nothing of the first was touched: its provider, its tmux server, its registration.
    expect(isProcessRunning(firstPane)).toBe(true);
    expect(await tmuxAlive(first)).toBe(true);
    expect((await relay.call(relay.rootToken, "GET", "/v1/agents/twin")).status).toBe(200);
  }, 40_000);

  test("a clean stop leaves nothing for the next runner to end", async () => {
    const first = spawnCommandCli({ agentId: "clean", relayUrl: relay.url, token: relay.rootToken });
    await first.up();
    first.runner.proc.kill("SIGTERM");
    expect(await first.runner.exited).toBe(0);
    const second = spawnCommandCli({
      agentId: "clean",
      relayUrl: relay.url,
      token: relay.rootToken,
      home: first.home,
    });
    await second.up();
    expect(second.runner.stderr()).not.toContain("previous runner of this agent died");
  }, 40_000);
});

describe("a runner whose terminal closes", () => {
  test("SIGHUP stops a non-headless runner gracefully: deregistered, exit 0, tmux server gone", async () => {
    const c = spawnCommandCli({
      agentId: "hangup",
      relayUrl: relay.url,
      token: relay.rootToken,
      headless: false,
    });
    await c.up();
    c.runner.proc.kill("SIGHUP");
    expect(await c.runner.exited, c.runner.stderr()).toBe(0);
    expect(c.runner.stderr()).toContain("SIGHUP: stopping");
    expect((await relay.call(relay.rootToken, "GET", "/v1/agents/hangup")).status).toBe(404);
    expect(await tmuxAlive(c)).toBe(false);
  }, 30_000);
});
