// Tokens and cost with the real Claude Code CLI (tmux, scripted fake Anthropic API) and a real relay: tokens are the
// transcript's, exactly what the model reported; the cost is Claude's own (its statusLine command hands it over).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { waitFor } from "../support/wait-for.ts";
import { claudeE2eRig } from "./claude-rig.ts";

setDefaultTimeout(120_000);

const rig = claudeE2eRig();

interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
}

describe("tokens and cost with Claude Code", () => {
  test("meta has the transcript's exact tokens and Claude's own running cost, summed over answers", async () => {
    // A token price is for providers without a cost of their own: Claude's is used instead.
    const { agent } = await rig.start("claude-usage", {
      monitor: "on",
      extraArgs: ["--token-price", "1000,1000"],
    });
    const usageOf = async () => (await rig.agentMeta(agent)).usage as Usage | undefined;
    await waitFor(async () => (await usageOf()) !== undefined, { timeoutMs: 30_000, what: "usage in meta" });
    // The fake answers every request with 100 input and 10 output tokens.
    await rig.send(agent, "USAGE-CLAUDE one");
    const one = await waitFor(
      async () => {
        const u = await usageOf();
        // The status line before the first answer says 0 USD: wait for the answer's cost.
        return u?.inputTokens === 100 && u.outputTokens === 10 && (u.costUsd ?? 0) > 0 && u;
      },
      { timeoutMs: 30_000, what: "the first answer's usage" },
    );
    const perAnswer = one.costUsd as number;
    // Priced by --token-price it would be 0.11 USD.
    expect(perAnswer).toBeLessThan(0.01);
    await rig.send(agent, "USAGE-CLAUDE two");
    const two = await waitFor(
      async () => {
        const u = await usageOf();
        return u?.inputTokens === 200 && (u.costUsd ?? 0) > perAnswer && u;
      },
      { timeoutMs: 30_000, what: "the second answer's usage" },
    );
    expect(two.outputTokens).toBe(20);
    expect(two.costUsd).toBeCloseTo(2 * perAnswer, 9);
  });
});
