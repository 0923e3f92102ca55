// Tokens, cost and budget with the real Codex CLI (app-server, scripted fake Responses API) and a real relay: the
// agent's meta sums exactly the usage the model reported, priced with --token-price; a spent budget holds new work
// (needs-input, reason budget) and a restart keeps it spent; a bigger budget lets the held message through.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { createCodexAgentHome } from "../support/codex-runner.ts";
import { text } from "../support/fake-responses-api.ts";
import { waitFor } from "../support/wait-for.ts";
import { type CodexE2eRig, codexE2eRig } from "./codex-rig.ts";

setDefaultTimeout(120_000);

const rig: CodexE2eRig = codexE2eRig();
type Agent = Parameters<CodexE2eRig["send"]>[0];

/** The agent's usage on the relay once it equals `want` (its meta is replaced by each status and heartbeat). */
const usageBecomes = (agent: Agent, want: Record<string, number>) =>
  waitFor(
    async () => {
      const usage = (await rig.agentRecord(agent)).meta?.usage;
      return JSON.stringify(usage) === JSON.stringify(want) && usage;
    },
    { timeoutMs: 30_000, what: `usage ${JSON.stringify(want)}` },
  );

describe("tokens, cost and budget with Codex", () => {
  test("meta sums the model's reported tokens, priced per million; a spent budget holds new work across a restart", async () => {
    const agent = createCodexAgentHome("codex-usage");
    // 2 USD per million input tokens, 10 per million output; the budget is 0.002 USD.
    const priced = ["--token-price", "2,10", "--max-cost-usd", "0.002"];
    const { child: first } = await rig.start(agent, { extraArgs: priced });
    const fake = rig.fake;
    // The fake answers each request with the scripted input tokens and 20 output tokens.
    fake.script("USAGE-ONE", [text("one", { inputTokens: 300 })]);
    await rig.send(agent, "USAGE-ONE");
    // 300 × 2 + 20 × 10 = 800 micro-dollars.
    await usageBecomes(agent, { inputTokens: 300, outputTokens: 20, costUsd: 0.0008, maxCostUsd: 0.002 });
    expect((await rig.agentRecord(agent)).semanticStatus).not.toBe("needs-input");

    fake.script("USAGE-TWO", [text("two", { inputTokens: 1000 })]);
    await rig.send(agent, "USAGE-TWO");
    // + 1000 × 2 + 20 × 10 = 2200 → 3000 micro-dollars: past the budget.
    await usageBecomes(agent, { inputTokens: 1300, outputTokens: 40, costUsd: 0.003, maxCostUsd: 0.002 });
    const held = await waitFor(
      async () => {
        const r = await rig.agentRecord(agent);
        return r.semanticStatus === "needs-input" && r;
      },
      { timeoutMs: 20_000, what: "needs-input once the budget is spent" },
    );
    expect(held.meta.conditionReason).toBe("budget");

    fake.script("USAGE-THREE", [text("three", { inputTokens: 50 })]);
    const third = (await rig.send(agent, "USAGE-THREE")).id;
    expect(await first.terminate()).toBe(0);
    expect(fake.requestsFor("USAGE-THREE")).toEqual([]);
    const { relay } = rig;
    const unread = (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}/unread`)).body
      .messages;
    expect(unread.map((m: { id: number }) => m.id)).toEqual([third]);

    // The same budget after a restart: still spent (the totals are kept in the agent's state), still held.
    const { child: again } = await rig.start(agent, { extraArgs: priced });
    await waitFor(async () => (await rig.agentRecord(agent)).meta?.conditionReason === "budget", {
      timeoutMs: 20_000,
      what: "the budget hold after a restart",
    });
    expect(fake.requestsFor("USAGE-THREE")).toEqual([]);
    expect(await again.terminate()).toBe(0);

    // A bigger budget: the held message goes in, and the totals go on from the kept ones.
    await rig.start(agent, { extraArgs: ["--token-price", "2,10", "--max-cost-usd", "1"] });
    await waitFor(() => fake.requestsFor("USAGE-THREE")[0], { timeoutMs: 30_000, what: "the held message" });
    await usageBecomes(agent, { inputTokens: 1350, outputTokens: 60, costUsd: 0.0033, maxCostUsd: 1 });
  });
});
