import { describe, expect, test } from "bun:test";
import { FailureEpisode, LogLimiter } from "../../src/util/log-limiter.ts";
import { ManualClock } from "../support/manual-clock.ts";

describe("LogLimiter", () => {
  test("lets the first of a kind through, suppresses repeats, and reports how many were suppressed", async () => {
    const clock = new ManualClock();
    const l = new LogLimiter(clock, 60_000);
    expect(l.shouldLog("bad_json")).toBe(0);
    expect(l.shouldLog("bad_json")).toBeUndefined();
    expect(l.shouldLog("bad_json")).toBeUndefined();
    expect(l.shouldLog("unknown_type")).toBe(0);
    await clock.advance(60_000);
    expect(l.shouldLog("bad_json")).toBe(2);
    expect(l.shouldLog("bad_json")).toBeUndefined();
  });

  test("forget makes the next occurrence loud again", () => {
    const l = new LogLimiter(new ManualClock());
    l.shouldLog("refused:unauthorized");
    l.forget("refused:unauthorized");
    expect(l.shouldLog("refused:unauthorized")).toBe(0);
  });

  test("remembers a bounded number of kinds", () => {
    const l = new LogLimiter(new ManualClock(), 60_000, 2);
    l.shouldLog("a");
    l.shouldLog("b");
    l.shouldLog("c");
    // "a" was evicted to make room, so it counts as new again.
    expect(l.shouldLog("a")).toBe(0);
  });
});

describe("FailureEpisode", () => {
  test("says to log the first failure and the recovery that ends it, nothing between", () => {
    const e = new FailureEpisode();
    expect(e.recover()).toBe(false);
    expect([e.fail(), e.fail(), e.fail()]).toEqual([true, false, false]);
    expect(e.recover()).toBe(true);
    expect(e.recover()).toBe(false);
    expect(e.fail()).toBe(true);
  });
});
