// The monitor event budget: the adapter stops publishing before Claude's rate limit would drop a line.
import { describe, expect, test } from "bun:test";
import { InboxLineBudget, MonitorEventBudget } from "../../../src/providers/claude/monitor-budget.ts";
import { ManualClock } from "../../support/manual-clock.ts";

describe("MonitorEventBudget", () => {
  test("allows a burst below Claude's limit, then one event per 2 s", async () => {
    const clock = new ManualClock();
    const budget = new MonitorEventBudget(clock);
    const burst = Array.from({ length: 12 }, () => budget.take());
    expect(burst.filter(Boolean).length).toBe(9);
    await clock.advance(2_000);
    expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(false);
    await clock.advance(60_000);
    expect(Array.from({ length: 12 }, () => budget.take()).filter(Boolean).length).toBe(9);
  });

  test("the inbox's budget: a burst below Claude's 30 lines, then one line per 2 s", async () => {
    const clock = new ManualClock();
    const budget = new InboxLineBudget(clock);
    expect(Array.from({ length: 40 }, () => budget.take()).filter(Boolean).length).toBe(29);
    await clock.advance(2_000);
    expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(false);
  });
});
