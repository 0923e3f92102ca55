// Tokens and cost with the real Claude Code CLI (tmux, scripted fake Anthropic API) and a real relay: tokens are the
// transcript's, exactly what the model reported; the cost is Claude's own (its statusLine command hands it over).
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

setDefaultTimeout(120_000);

let relay: TestRelay;
let fake: FakeAnthropicApi;
beforeAll(async () => {
  relay = await startTestRelay();
  fake = new FakeAnthropicApi().start();
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

interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
}

async function usageOf(agent: ClaudeAgentHome): Promise<Usage | undefined> {
  return (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body?.meta?.usage;
}

async function send(agent: ClaudeAgentHome, body: string): Promise<void> {
  const res = await relay.call(relay.rootToken, "POST", "/v1/messages", {
    to: agent.agentId,
    from: "tester",
    body,
  });
  expect(res.status).toBe(200);
}

describe("tokens and cost with Claude Code", () => {
  test("meta has the transcript's exact tokens and Claude's own running cost, summed over answers", async () => {
    const agent = createClaudeAgentHome("claude-usage");
    agents.push(agent);
    const token = await relay.mintToken(agent.agentId);
    // A token price is for providers without a cost of their own: Claude's is used instead.
    children.push(
      await startClaudeRunner({
        relay,
        fake,
        agent,
        token,
        monitor: "on",
        extraArgs: ["--token-price", "1000,1000"],
      }),
    );
    await waitFor(async () => (await usageOf(agent)) !== undefined, {
      timeoutMs: 30_000,
      what: "usage in meta",
    });
    // The fake answers every request with 100 input and 10 output tokens.
    await send(agent, "USAGE-CLAUDE one");
    const one = await waitFor(
      async () => {
        const u = await usageOf(agent);
        // The status line before the first answer says 0 USD: wait for the answer's cost.
        return u?.inputTokens === 100 && u.outputTokens === 10 && (u.costUsd ?? 0) > 0 && u;
      },
      { timeoutMs: 30_000, what: "the first answer's usage" },
    );
    const perAnswer = one.costUsd as number;
    // Priced by --token-price it would be 0.11 USD.
    expect(perAnswer).toBeLessThan(0.01);
    await send(agent, "USAGE-CLAUDE two");
    const two = await waitFor(
      async () => {
        const u = await usageOf(agent);
        return u?.inputTokens === 200 && (u.costUsd ?? 0) > perAnswer && u;
      },
      { timeoutMs: 30_000, what: "the second answer's usage" },
    );
    expect(two.outputTokens).toBe(20);
    expect(two.costUsd).toBeCloseTo(2 * perAnswer, 9);
  });
});
