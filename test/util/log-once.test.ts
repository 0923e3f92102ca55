import { describe, expect, test } from "bun:test";
import { LogOnce } from "../../src/util/log-once.ts";
import { ManualClock } from "../support/manual-clock.ts";

const MIN = 60_000;

describe("LogOnce", () => {
  test("the same error kind is logged at most once per 5 min, with a count of what was held back", async () => {
    const clock = new ManualClock();
    const once = new LogOnce({ clock, windowMs: 5 * MIN });
    const logged: [string, number][] = [];
    const report = (key: string) => once.run(key, (n) => logged.push([key, n]));
    report("liveness:401");
    await clock.advance(20_000);
    report("liveness:401");
    report("liveness:401");
    report("liveness:500");
    await clock.advance(5 * MIN);
    report("liveness:401");
    expect(logged).toEqual([
      ["liveness:401", 0],
      ["liveness:500", 0],
      ["liveness:401", 2],
    ]);
  });

  test("with an infinite window a key logs once until it is reset", async () => {
    const clock = new ManualClock();
    const once = new LogOnce({ clock, windowMs: Number.POSITIVE_INFINITY });
    expect(once.shouldLog("delivery-failed")).toBe(true);
    await clock.advance(24 * 60 * MIN);
    expect(once.shouldLog("delivery-failed")).toBe(false);
    once.reset("delivery-failed");
    expect(once.shouldLog("delivery-failed")).toBe(true);
    once.reset();
    expect(once.check("delivery-failed")).toEqual({ log: true, suppressed: 0 });
  });

  test("memory is bounded: the oldest key is forgotten first", () => {
    const clock = new ManualClock();
    const once = new LogOnce({ clock, windowMs: MIN, maxKeys: 2 });
    once.shouldLog("a");
    once.shouldLog("b");
    once.shouldLog("c");
    expect(once.shouldLog("b")).toBe(false);
    expect(once.shouldLog("a")).toBe(true);
  });
});
