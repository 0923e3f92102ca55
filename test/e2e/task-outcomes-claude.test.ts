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
import { assignTask, waitForTaskEnd as ended } from "../support/tasks.ts";
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

describe("task outcomes with Claude Code", () => {
  test("a task the model answers in one request ends complete with that request's tokens as its usage", async () => {
    const agent = await run();
    const id = await assignTask(relay, boss, { assignee: agent.agentId, body: "USAGE-TASK say hello" });
    const t = await ended(relay, id);
    expect(t.outcome.status).toBe("complete");
    // The fake model answers every request with 100 input and 10 output tokens.
    const requests = fake.requestsContaining("USAGE-TASK").filter((r) => r.isMainLoop).length;
    expect(requests).toBe(1);
    expect(t.outcome.usage).toEqual({ inputTokens: 100, outputTokens: 10 });
  });

  test("a turn that hits a 429 fails its task at once, with Claude's reason", async () => {
    const agent = await run();
    const id = await assignTask(relay, boss, { assignee: agent.agentId, body: "RATE-LIMITED task FAIL:429" });
    const t = await ended(relay, id);
    expect(t.status).toBe("failed");
    expect(t.outcome.status).toBe("failed");
    expect(t.outcome.reason).toContain("rate_limit");
    // At once: well before anything but the failure could have ended it.
    expect(t.outcome.durationMs).toBeLessThan(15_000);
  });

  test("a task past its time limit is interrupted (Esc) and fails `time limit`; Claude is idle long before the slow reply would end", async () => {
    const agent = await run();
    const started = Date.now();
    const id = await assignTask(relay, boss, {
      assignee: agent.agentId,
      body: "SLOW-TASK SLOW:60000",
      timeLimitSeconds: 4,
    });
    const t = await ended(relay, id);
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
