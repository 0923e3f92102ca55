// The runner's lifecycle end to end: tasks, commands, provider crashes, the info file (real relay, real tmux).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { isProcessRunning } from "../../src/providers/tmux/process.ts";
import { type RunnerInfo, readRunnerInfoFile } from "../../src/runner/info-file.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { type LogRecord, startTestRunner, stopTestRunners, type TestRunner } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.close();
});
afterEach(stopTestRunners);

async function post(path: string, body: unknown) {
  const res = await relay.call(relay.rootToken, "POST", path, body);
  if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const send = async (to: string, body: string, payload: Record<string, unknown> = {}) =>
  (await post("/v1/messages", { from: "sender", to, body, payload })).id as number;

async function commandOutcome(id: string, timeoutMs = 15_000) {
  return waitFor(
    async () => {
      const c = (await relay.call(relay.rootToken, "GET", `/v1/commands/${id}`)).body;
      return c.status === "succeeded" || c.status === "failed" ? c : undefined;
    },
    { timeoutMs, what: `command ${id} to finish` },
  );
}

function restartDecisions(r: TestRunner): number[] {
  return r.logs
    .filter((l: LogRecord) => l.msg === "provider exited unexpectedly; restarting")
    .map((l) => l.delayMs as number);
}

describe("runner lifecycle (real relay, command provider in tmux)", () => {
  test("a task-linked message moves the task to in_progress, then done after the provider goes busy → idle", async () => {
    const r = await startTestRunner({ relay, agentId: "task-a" });
    const task = await post("/v1/tasks", { title: "echo something" });
    const id = await send("task-a", "please do the task", { taskId: task.id });
    const done = await waitFor(
      async () => {
        const t = (await relay.call(relay.rootToken, "GET", `/v1/tasks/${task.id}`)).body;
        return t.status === "done" ? t : undefined;
      },
      { what: "the task to be done" },
    );
    expect(r.messageIds(), "1 task message sent, delivered once").toEqual([id]);
    const steps = done.history.map((h: { status: string; agentId: string }) => `${h.status}:${h.agentId}`);
    expect(steps.slice(-2)).toEqual(["in_progress:task-a", "done:task-a"]);
    expect(done.history.at(-1).body).toBe("runner observed provider completion");
    // The task was active work while it ran; it is gone once done.
    await waitFor(() => !r.runner.work.has("task", String(task.id)), { what: "the task work item to end" });
  });

  test("the provider child gets the runner's env: control URL and secret, ids, relay URL, approval mode and token facts", async () => {
    const names = [
      "AGENT_RELAY_CONTROL_URL",
      "AGENT_RELAY_CONTROL_SECRET",
      "AGENT_RELAY_RUNNER_ID",
      "AGENT_RELAY_PROVIDER_SESSION_ID",
      "AGENT_RELAY_AGENT_ID",
      "AGENT_RELAY_URL",
      "AGENT_RELAY_APPROVAL_MODE",
      "AGENT_RELAY_TOKEN",
      "AGENT_RELAY_TOKEN_JTI",
      "AGENT_RELAY_TOKEN_PROFILE",
      "AGENT_RELAY_TOKEN_EXPIRES_AT",
    ];
    const r = await startTestRunner({
      relay,
      agentId: "env-a",
      fixtureEnv: { ECHO_AGENT_SHOW_ENV: names.join(",") },
    });
    const env = r.starts()[0]!.env;
    const record = r.runner.credentials.record!;
    expect(env).toMatchObject({
      AGENT_RELAY_CONTROL_URL: r.runner.control.url,
      AGENT_RELAY_RUNNER_ID: "runner-env-a",
      AGENT_RELAY_PROVIDER_SESSION_ID: r.runner.supervisor.providerSessionId,
      AGENT_RELAY_AGENT_ID: "env-a",
      AGENT_RELAY_URL: relay.url,
      AGENT_RELAY_APPROVAL_MODE: "default",
      AGENT_RELAY_TOKEN: r.runner.credentials.token,
      AGENT_RELAY_TOKEN_JTI: record.jti,
      AGENT_RELAY_TOKEN_PROFILE: "provider-agent",
      AGENT_RELAY_TOKEN_EXPIRES_AT: String(record.expiresAt),
    });
    expect(env.AGENT_RELAY_CONTROL_SECRET?.length ?? 0, "a control secret is set").toBeGreaterThanOrEqual(32);
    // The secret works against the control server; no secret is refused.
    const url = `${r.runner.control.url}/v1/terminal`;
    const withSecret = await fetch(url, {
      headers: { authorization: `Bearer ${env.AGENT_RELAY_CONTROL_SECRET}` },
    });
    const without = await fetch(url);
    expect(without.status).toBe(401);
    expect(withSecret.status).toBe(200);
    expect(
      JSON.stringify(await withSecret.json()),
      "the attach spec names the runner's tmux socket",
    ).toContain(r.tmuxSocket);
  });

  test("agent.restart starts a new provider session (new session id, new pid) and the next message is delivered", async () => {
    const r = await startTestRunner({ relay, agentId: "restart-a" });
    const firstSession = r.runner.supervisor.providerSessionId;
    const [firstStart] = r.starts();
    const cmd = await post("/v1/commands", { target: "restart-a", type: "agent.restart" });
    const outcome = await commandOutcome(cmd.id);
    expect(outcome.status, `agent.restart ended ${outcome.status}: ${outcome.error}`).toBe("succeeded");
    expect(outcome.result.providerSessionId).toBe(r.runner.supervisor.providerSessionId);
    expect(outcome.result.providerSessionId).not.toBe(firstSession);
    const starts = r.starts();
    expect(starts.length, "the fixture started twice").toBe(2);
    expect(starts[1]!.pid).not.toBe(firstStart!.pid);
    expect(isProcessRunning(firstStart!.pid), "the first provider process is gone").toBe(false);
    const id = await send("restart-a", "after the restart");
    await waitFor(() => r.messageIds().includes(id), { what: "the message after the restart" });
    // It went to the new process: the input is recorded after the second start.
    const events = r.received();
    const secondStartAt = events.findIndex((e) => e.event === "start" && e.pid === starts[1]!.pid);
    const inputAt = events.findIndex((e) => e.event === "input" && e.text.includes(`#${id} `));
    expect(inputAt).toBeGreaterThan(secondStartAt);
    expect(r.messageIds(), "1 message sent, 1 received").toEqual([id]);
  });

  test("messages sent while agent.restart runs each arrive exactly once", async () => {
    const r = await startTestRunner({ relay, agentId: "restart-b" });
    const sent: number[] = [];
    for (let i = 0; i < 3; i++) sent.push(await send("restart-b", `before ${i}`));
    const cmd = await post("/v1/commands", { target: "restart-b", type: "agent.restart" });
    for (let i = 0; i < 6; i++) sent.push(await send("restart-b", `during ${i}`));
    const outcome = await commandOutcome(cmd.id);
    expect(outcome.status, `agent.restart: ${outcome.error}`).toBe("succeeded");
    for (let i = 0; i < 3; i++) sent.push(await send("restart-b", `after ${i}`));
    await waitFor(() => sent.every((id) => r.messageIds().includes(id)), {
      timeoutMs: 15_000,
      what: `all ${sent.length} messages`,
    });
    const got = r.messageIds();
    const twice = sent.filter((id) => got.filter((g) => g === id).length > 1);
    expect(twice, `sent ${sent.length}, received ${got.length}, duplicated ${twice.length}`).toEqual([]);
  });

  test("with --no-exit-on-shutdown, agent.shutdown stops the provider but the runner stays up and reports offline", async () => {
    const r = await startTestRunner({ relay, agentId: "stay-a", extraArgs: ["--no-exit-on-shutdown"] });
    const [start] = r.starts();
    const cmd = await post("/v1/commands", {
      target: "stay-a",
      type: "agent.shutdown",
      params: { timeoutMs: 2_000 },
    });
    const outcome = await commandOutcome(cmd.id);
    expect(outcome.status, `agent.shutdown ended ${outcome.status}: ${outcome.error}`).toBe("succeeded");
    await waitFor(() => !isProcessRunning(start!.pid), { what: "the provider process to end" });
    await waitFor(() => r.runner.work.semanticStatus === "offline", { what: "offline status" });
    expect(r.runner.state).toBe("running");
    expect(r.runner.supervisor.state).toBe("stopped");
    const agent = await waitFor(
      async () => {
        const a = (await relay.call(relay.rootToken, "GET", "/v1/agents/stay-a")).body;
        return a.semanticStatus === "offline" ? a : undefined;
      },
      { what: "the relay to show the agent offline" },
    );
    expect(agent.id).toBe("stay-a");
  });

  test("a provider that dies is restarted after 0.5 s, 1 s, 1.5 s, and the 4th quick death makes the runner give up with exit code 1", async () => {
    const r = await startTestRunner({ relay, agentId: "crash-a" });
    for (let death = 1; death <= 3; death++) {
      const starts = r.starts();
      expect(starts.length).toBe(death);
      process.kill(starts.at(-1)!.pid, "SIGKILL");
      await waitFor(() => r.starts().length === death + 1 && r.runner.supervisor.isRunning, {
        what: `restart #${death}`,
      });
    }
    expect(restartDecisions(r), "restart delays decided for exits 1-3").toEqual([500, 1_000, 1_500]);
    // Still delivering after three restarts.
    const id = await send("crash-a", "still there?");
    await waitFor(() => r.messageIds().includes(id), { what: "a message after 3 restarts" });

    process.kill(r.starts().at(-1)!.pid, "SIGKILL");
    const exit = await r.runner.done;
    expect(exit.code).toBe(1);
    expect(exit.reason).toContain("crash loop");
    const gaveUp = r.logs.filter((l) => l.msg === "provider keeps crashing; giving up");
    expect(gaveUp.length, "one give-up decision").toBe(1);
    expect(String(gaveUp[0]!.reason)).toContain("exited 4 times");
    expect(r.starts().length, "no 5th start after giving up").toBe(4);
    expect(restartDecisions(r)).toEqual([500, 1_000, 1_500]);
    expect((await relay.call(relay.rootToken, "GET", "/v1/agents/crash-a")).status).toBe(404);
  }, 30_000);

  test("without --headless the runner exits with its provider: code 0 for a clean exit", async () => {
    const r = await startTestRunner({
      relay,
      agentId: "attended-a",
      headless: false,
      fixtureEnv: { ECHO_AGENT_EXIT_AFTER: "1", ECHO_AGENT_EXIT_CODE: "0" },
    });
    await send("attended-a", "last words");
    const exit = await r.runner.done;
    expect(exit).toEqual({ code: 0, reason: "provider exited (exit code 0)" });
    expect(r.starts().length, "no restart for a person's terminal").toBe(1);
  });

  test("the runner info file is written with mode 0600 at start, rewritten after the provider spawns, and removed at stop", async () => {
    const r = await startTestRunner({ relay, agentId: "info-a", infoFile: true, noStart: true });
    const path = r.infoFile!;
    const starting = r.runner.start();
    // The first write comes before the provider exists.
    const first: RunnerInfo = await waitFor(() => readRunnerInfoFile(path).catch(() => undefined), {
      intervalMs: 5,
      what: "the first info file",
    });
    await starting;
    expect(first.providerSessionId).toBeUndefined();
    const after = await readRunnerInfoFile(path);
    expect(after).toMatchObject({
      agentId: "info-a",
      runnerId: "runner-info-a",
      provider: "command",
      controlUrl: r.runner.control.url,
      pid: process.pid,
      tmuxSocket: r.tmuxSocket,
      tmuxSession: "agent",
      providerSessionId: r.runner.supervisor.providerSessionId,
    });
    expect(after.updatedAt).toBeGreaterThanOrEqual(first.updatedAt);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await r.runner.stop({ reason: "test" });
    expect(() => statSync(path)).toThrow();
  });
});
