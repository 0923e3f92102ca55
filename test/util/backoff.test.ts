import { describe, expect, test } from "bun:test";
import { Backoff, type BackoffOptions, backoffDelay } from "../../src/util/backoff.ts";

const take = (b: Backoff, n: number) => Array.from({ length: n }, () => b.next());

describe("Backoff", () => {
  test("without jitter delays double up to the cap", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: "none" });
    expect(take(b, 6)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.attempts).toBe(6);
  });

  test("reset starts again from the first delay", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: "none" });
    take(b, 4);
    b.reset();
    expect(b.next()).toBe(100);
  });

  test("full jitter spans 0 to the ceiling", () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000, jitter: "full" }, () => 0);
    const high = new Backoff({ initialMs: 100, maxMs: 1000, jitter: "full" }, () => 0.999);
    expect(take(low, 3)).toEqual([0, 0, 0]);
    const h = take(high, 5);
    expect(h.map((d) => Math.round(d))).toEqual([100, 200, 400, 799, 999]);
  });

  test("equal jitter keeps at least half the ceiling", () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000, jitter: "equal" }, () => 0);
    const mid = new Backoff({ initialMs: 100, maxMs: 1000, jitter: "equal" }, () => 0.5);
    expect(take(low, 5)).toEqual([50, 100, 200, 400, 500]);
    expect(take(mid, 5)).toEqual([75, 150, 300, 600, 750]);
  });

  test("a custom factor grows by that factor", () => {
    const b = new Backoff({ initialMs: 10, maxMs: 10_000, factor: 3, jitter: "none" });
    expect(take(b, 4)).toEqual([10, 30, 90, 270]);
  });

  test("delays stay within bounds after very many attempts", () => {
    const b = new Backoff({ initialMs: 1, maxMs: 5000 }, () => 0.999);
    for (let i = 0; i < 2000; i++) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(5000);
    }
  });

  test("bad options fail at construction", () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 10 })).toThrow("initialMs");
    expect(() => new Backoff({ initialMs: 10, maxMs: 5 })).toThrow("maxMs");
    expect(() => new Backoff({ initialMs: 10, maxMs: 50, factor: 0.5 })).toThrow("factor");
  });

  test("the pure delay depends only on the attempt number, so callers can keep their own count", () => {
    const options: BackoffOptions = { initialMs: 100, maxMs: 1000, jitter: "equal" };
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, options, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect(backoffDelay(10_000, options, () => 0.5)).toBe(750);
    expect(backoffDelay(2, { initialMs: 100, maxMs: 1000, jitter: "none" })).toBe(400);
  });
});
