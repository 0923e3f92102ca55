import { describe, expect, test } from "bun:test";
import { reconnectBackoff } from "../../src/relay-client/reconnect-policy.ts";

describe("reconnectBackoff", () => {
  test("delays double from the initial ceiling up to the cap, each between half and all of its ceiling", () => {
    const low = reconnectBackoff({ initialMs: 100, maxMs: 10_000 }, () => 0);
    const high = reconnectBackoff({ initialMs: 100, maxMs: 10_000 }, () => 0.999999);
    const lows = Array.from({ length: 10 }, () => low.next());
    const highs = Array.from({ length: 10 }, () => high.next());
    expect(lows).toEqual([50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(highs).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
  });

  test("a fixed random gives a fixed schedule, and reset starts it over", () => {
    const b = reconnectBackoff({}, () => 0.5);
    expect([b.next(), b.next(), b.next()]).toEqual([75, 150, 300]);
    expect(b.attempts).toBe(3);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(75);
  });

  test("stays at the cap after very many failures instead of overflowing", () => {
    const b = reconnectBackoff({}, () => 0.5);
    let last = 0;
    for (let i = 0; i < 5000; i++) last = b.next();
    expect(last).toBe(7500);
  });

  test("refuses a nonsensical configuration at construction", () => {
    expect(() => reconnectBackoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => reconnectBackoff({ initialMs: 500, maxMs: 100 })).toThrow(RangeError);
  });
});
