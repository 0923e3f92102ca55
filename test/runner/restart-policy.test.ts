import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { DEFAULT_RESTART_LIMITS, RestartPolicy } from "../../src/runner/restart-policy.ts";

const S = 1000;
const T0 = 1_700_000_000_000;

describe("RestartPolicy", () => {
  test("the defaults are the runner-behaviour numbers", () => {
    expect(DEFAULT_RESTART_LIMITS).toEqual({
      maxExits: 3,
      windowMs: 120_000,
      minRunMs: 30_000,
      baseDelayMs: 500,
      minDelayMs: 500,
      maxDelayMs: 10_000,
    });
  });

  test("restart delays grow 0.5 s per exit in the window and cap at 10 s for long runs", () => {
    const p = new RestartPolicy();
    const delays: number[] = [];
    // Long runs (≥ 30 s) never give up; 25 exits 1 s apart all fall in one 2-min window.
    for (let i = 0; i < 25; i++) {
      const d = p.recordExit({ at: T0 + i * S, ranForMs: 45 * S });
      expect(d.action).toBe("restart");
      if (d.action === "restart") delays.push(d.delayMs);
    }
    expect(delays.slice(0, 6)).toEqual([500, 1000, 1500, 2000, 2500, 3000]);
    expect(delays[19]).toBe(10_000);
    expect(delays.slice(20)).toEqual([10_000, 10_000, 10_000, 10_000, 10_000]);
  });

  test("a provider that dies 4 times within 30 s makes the runner give up on the 4th exit", () => {
    const p = new RestartPolicy();
    const decisions = [0, 8, 16, 24].map((t, i) =>
      p.recordExit({ at: T0 + t * S, ranForMs: i === 0 ? 5 * S : 7 * S }),
    );
    expect(decisions.slice(0, 3)).toEqual([
      { action: "restart", delayMs: 500, exitsInWindow: 1 },
      { action: "restart", delayMs: 1000, exitsInWindow: 2 },
      { action: "restart", delayMs: 1500, exitsInWindow: 3 },
    ]);
    expect(decisions[3]).toMatchObject({ action: "give-up", exitsInWindow: 4 });
    expect((decisions[3] as { reason: string }).reason).toContain("4 times");
  });

  test("a 4th exit after a long run restarts instead of giving up", () => {
    const p = new RestartPolicy();
    for (let i = 0; i < 3; i++) p.recordExit({ at: T0 + i * S, ranForMs: S });
    expect(p.recordExit({ at: T0 + 40 * S, ranForMs: 30 * S })).toEqual({
      action: "restart",
      delayMs: 2000,
      exitsInWindow: 4,
    });
  });

  test("exits older than 2 min fall out of the window", () => {
    const p = new RestartPolicy();
    for (let i = 0; i < 3; i++) p.recordExit({ at: T0 + i * S, ranForMs: S });
    // 2 min after the 3rd exit, all three are out: this is exit 1 of a fresh window.
    expect(p.recordExit({ at: T0 + 2 * S + 120 * S, ranForMs: S })).toEqual({
      action: "restart",
      delayMs: 500,
      exitsInWindow: 1,
    });
    expect(p.exitsInWindow(T0 + 2 * S + 120 * S)).toBe(1);
  });

  test("quick exits spread just wider than the window never give up", () => {
    const p = new RestartPolicy();
    for (let i = 0; i < 20; i++) {
      expect(p.recordExit({ at: T0 + i * 41 * S, ranForMs: S }).action).toBe("restart");
    }
  });

  test("limits are data: a stricter policy gives up sooner", () => {
    const p = new RestartPolicy({ maxExits: 1 });
    expect(p.recordExit({ at: T0, ranForMs: S }).action).toBe("restart");
    expect(p.recordExit({ at: T0 + S, ranForMs: S }).action).toBe("give-up");
    p.reset();
    expect(p.recordExit({ at: T0 + 2 * S, ranForMs: S }).action).toBe("restart");
  });

  test("for any exit history: long runs never give up and every delay is within 0.5-10 s", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 200 * S }),
            ranForMs: fc.integer({ min: 0, max: 60 * S }),
          }),
          {
            maxLength: 40,
          },
        ),
        (exits) => {
          const p = new RestartPolicy();
          let at = T0;
          for (const e of exits) {
            at += e.gap;
            const d = p.recordExit({ at, ranForMs: e.ranForMs });
            if (e.ranForMs >= 30 * S) expect(d.action).toBe("restart");
            if (d.action === "restart") {
              expect(d.delayMs).toBeGreaterThanOrEqual(500);
              expect(d.delayMs).toBeLessThanOrEqual(10_000);
            } else expect(d.exitsInWindow).toBeGreaterThan(3);
          }
        },
      ),
    );
  });
});
