// Task outcomes with the real Claude Code CLI (in tmux, against the scripted fake Anthropic API) and a real relay:
// a 429 fails the task at once with the reason; a time limit interrupts the turn (Esc) and fails the task.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  type ClaudeAgentHome,
  type ClaudeRunnerChild,
  createClaudeAgentHome,
  reapClaudeLeftovers,
  startClaudeRunner,
} from "../support/claude-runner.ts";
import { FakeAnthropicApi } from "../support/fake-anthropic-api.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

setDefaultTimeout(90_000);

let relay: TestRelay;
let fake: FakeAnthropicApi;
let boss: string;
beforeAll(async () => {
  relay = await startTestRelay();
  fake = new FakeAnthropicApi().start();
  boss = await relay.mintToken("claude-boss");
});
afterAll(async () => {
  await fake?.stop();
  await relay?.close();
});

const agents: ClaudeAgentHome[] = [];
const children: ClaudeRunnerChild[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill();
  for (const a of agents.splice(0)) {
    await reapClaudeLeftovers(a);
    a.remove();
  }
});

async function run(): Promise<ClaudeAgentHome> {
  const agent = createClaudeAgentHome("claude-outcome");
  agents.push(agent);
  const token = await relay.mintToken(agent.agentId);
  children.push(await startClaudeRunner({ relay, fake, agent, token, monitor: "on" }));
  await waitFor(
    async () => (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body?.ready,
    {
      timeoutMs: 30_000,
      what: "the agent to be ready",
    },
  );
  return agent;
}

/** The boss gives the agent a task; the linked message's body drives the fake model. */
async function assign(agent: ClaudeAgentHome, body: string, timeLimitSeconds?: number) {
  const task = await relay.call(boss, "POST", "/v1/tasks", {
    title: "e2e",
    assignee: agent.agentId,
    timeLimitSeconds,
  });
  await relay.call(boss, "POST", "/v1/messages", {
    to: agent.agentId,
    kind: "task",
    body,
    payload: { taskId: task.body.id },
  });
  return task.body.id as number;
}

const ended = (id: number) =>
  waitFor(
    async () => {
      const t = (await relay.call(relay.rootToken, "GET", `/v1/tasks/${id}`)).body;
      return (t.status === "done" || t.status === "failed") && t;
    },
    { timeoutMs: 40_000, what: `task ${id} to end` },
  );

describe("task outcomes with Claude Code", () => {
  test("a turn that hits a 429 fails its task at once, with Claude's reason", async () => {
    const agent = await run();
    const id = await assign(agent, "RATE-LIMITED task FAIL:429");
    const t = await ended(id);
    expect(t.status).toBe("failed");
    expect(t.outcome.status).toBe("failed");
    expect(t.outcome.reason).toContain("rate_limit");
    // At once: well before anything but the failure could have ended it.
    expect(t.outcome.durationMs).toBeLessThan(15_000);
  });

  test("a task past its time limit is interrupted (Esc) and fails `time limit`; Claude is idle long before the slow reply would end", async () => {
    const agent = await run();
    const started = Date.now();
    const id = await assign(agent, "SLOW-TASK SLOW:60000", 4);
    const t = await ended(id);
    expect(t.outcome).toMatchObject({ status: "failed", reason: "time limit" });
    expect(t.outcome.durationMs).toBeGreaterThanOrEqual(4_000);
    await waitFor(
      async () =>
        (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body.semanticStatus ===
        "idle",
      { timeoutMs: 20_000, what: "Claude to be idle after the interrupt" },
    );
    expect(Date.now() - started).toBeLessThan(40_000);
  });
});
