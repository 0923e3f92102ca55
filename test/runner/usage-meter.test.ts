// The agent's usage: growth of each conversation's running figures, summed; priced where no cost is reported; kept.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageMeter, usageMeterFor } from "../../src/runner/usage-meter.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function stateFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "usage-meter-"));
  dirs.push(dir);
  return join(dir, "agent", "usage.json");
}

describe("UsageMeter", () => {
  test("a conversation's running figures count by their growth; a new conversation adds its own", () => {
    const m = new UsageMeter();
    m.report("a", { inputTokens: 100, outputTokens: 10, costUsd: 0.01 });
    m.report("a", { inputTokens: 250, outputTokens: 30, costUsd: 0.025 });
    m.report("b", { inputTokens: 40, outputTokens: 4, costUsd: 0.004 });
    expect(m.usage.inputTokens).toBe(290);
    expect(m.usage.outputTokens).toBe(34);
    expect(m.usage.costUsd).toBeCloseTo(0.029, 12);
    // The same figures again add nothing.
    expect(m.report("b", { inputTokens: 40, outputTokens: 4, costUsd: 0.004 })).toBe(false);
    expect(m.usage.inputTokens).toBe(290);
  });

  test("a figure that went down is a provider that counts again from zero (a restarted process): all of it is new", () => {
    const m = new UsageMeter();
    m.report("a", { inputTokens: 500, outputTokens: 50, costUsd: 0.5 });
    // Tokens go on (the transcript carries over), the cost starts again (a new process).
    m.report("a", { inputTokens: 600, outputTokens: 60, costUsd: 0.02 });
    expect(m.usage).toEqual({ inputTokens: 600, outputTokens: 60, costUsd: 0.52 });
  });

  test("without a cost from the provider, tokens are priced with the token price; with neither, no cost", () => {
    const priced = new UsageMeter({ price: { inputUsdPerMtok: 2, outputUsdPerMtok: 10 } });
    priced.report("t", { inputTokens: 1_000_000, outputTokens: 100_000 });
    expect(priced.usage.costUsd).toBeCloseTo(3, 9);
    const unpriced = new UsageMeter();
    unpriced.report("t", { inputTokens: 10, outputTokens: 1 });
    expect(unpriced.usage).toEqual({ inputTokens: 10, outputTokens: 1 });
    // The provider's own cost wins: a Claude agent is never priced by --token-price.
    const claude = usageMeterFor(
      { tokenPrice: { inputUsdPerMtok: 2, outputUsdPerMtok: 10 } },
      { reportsCost: true },
    );
    claude.report("c", { inputTokens: 1_000_000, outputTokens: 0 });
    expect(claude.usage.costUsd).toBeUndefined();
  });

  test("the budget is reached at the limit, and shows in the usage", () => {
    const m = new UsageMeter({ maxCostUsd: 0.05 });
    m.report("a", { inputTokens: 1, outputTokens: 1, costUsd: 0.049 });
    expect(m.budgetReached).toBe(false);
    m.report("a", { inputTokens: 2, outputTokens: 2, costUsd: 0.05 });
    expect(m.budgetReached).toBe(true);
    expect(m.usage.maxCostUsd).toBe(0.05);
  });

  test("the totals are kept in a private file and a new meter goes on from them (a restart keeps the budget spent)", async () => {
    const path = stateFile();
    const m = new UsageMeter({ path, maxCostUsd: 1 });
    m.report("a", { inputTokens: 100, outputTokens: 10, costUsd: 0.6 });
    m.report("a", { inputTokens: 200, outputTokens: 20, costUsd: 1.2 });
    await m.flush();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, "utf8")).totals).toEqual({
      inputTokens: 200,
      outputTokens: 20,
      costUsd: 1.2,
    });
    const again = new UsageMeter({ path, maxCostUsd: 1 });
    await again.load();
    expect(again.budgetReached).toBe(true);
    // The resumed conversation's next report counts only its growth.
    again.report("a", { inputTokens: 250, outputTokens: 25, costUsd: 1.3 });
    expect(again.usage.inputTokens).toBe(250);
    expect(again.usage.costUsd).toBeCloseTo(1.3, 9);
  });

  test("a missing or broken file counts from zero", async () => {
    const path = stateFile();
    const m = new UsageMeter({ path });
    await m.load();
    expect(m.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });
});
