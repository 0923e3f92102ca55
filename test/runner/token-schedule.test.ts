import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { computeRenewalDelay, computeRenewalPlan, shouldRenew } from "../../src/runner/token-schedule.ts";

const NOW = 1_700_000_000_000;
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

describe("computeRenewalDelay", () => {
  // [what, ttl, random, expected lead, expected jitter, expected delay]
  const cases: [string, number, number, number, number, number][] = [
    ["ttl 10 s renews after the 1 s floor", 10 * S, 0, MIN, 0, S],
    ["ttl 10 s with full jitter still waits the 1 s floor", 10 * S, 0.999, MIN, 0.999 * 30 * S, S],
    ["ttl 2 min leads by the 1 min minimum", 2 * MIN, 0, MIN, 0, MIN],
    ["ttl 2 min with jitter near 1 takes up to 30 s more off", 2 * MIN, 0.999, MIN, 29_970, MIN - 29_970],
    ["ttl 1 h leads by 20% = 12 min", H, 0, 12 * MIN, 0, 48 * MIN],
    ["ttl 1 h at random→1 jitters by just under 30 s", H, 0.999_999, 12 * MIN, 29_999.97, 48 * MIN - 30 * S],
    ["ttl 10 h leads by the 1 h cap", 10 * H, 0, H, 0, 9 * H],
    ["ttl 10 h at random 0.5 jitters 15 s", 10 * H, 0.5, H, 15 * S, 9 * H - 15 * S],
    ["an expired token renews after 1 s", -5 * S, 0.5, MIN, 15 * S, S],
  ];
  for (const [what, ttl, random, lead, jitter, delay] of cases) {
    test(what, () => {
      const plan = computeRenewalPlan({ expiresAtMs: NOW + ttl, nowMs: NOW, random: () => random });
      expect(plan.leadMs).toBe(lead);
      expect(plan.jitterMs).toBeCloseTo(jitter, 6);
      expect(plan.delayMs).toBe(delay);
      expect(computeRenewalDelay({ expiresAtMs: NOW + ttl, nowMs: NOW, random: () => random })).toBe(delay);
    });
  }

  test("the jitter never exceeds half the lead when the lead is short", () => {
    // lead 1 min → jitter cap min(30 s, 30 s) = 30 s; lead 12 min → cap 30 s; cap is always min(30 s, lead/2).
    for (const ttl of [MIN, 2 * MIN, 5 * MIN, H, 24 * H]) {
      const plan = computeRenewalPlan({ expiresAtMs: NOW + ttl, nowMs: NOW, random: () => 0.999_999 });
      expect(plan.jitterMs).toBeLessThanOrEqual(Math.min(30 * S, plan.leadMs / 2));
      expect(plan.delayMs).toBeGreaterThanOrEqual(S);
    }
  });
});

describe("computeRenewalPlan invariants", () => {
  test("for any ttl and random: lead in [1 min, 1 h], jitter ≤ min(30 s, lead/2), delay ≥ 1 s and before expiry", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -H, max: 1000 * H }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (ttl, r) => {
          const p = computeRenewalPlan({ expiresAtMs: NOW + ttl, nowMs: NOW, random: () => r });
          expect(p.leadMs).toBeGreaterThanOrEqual(MIN);
          expect(p.leadMs).toBeLessThanOrEqual(H);
          expect(p.jitterMs).toBeLessThanOrEqual(Math.min(30 * S, p.leadMs / 2));
          expect(p.delayMs).toBeGreaterThanOrEqual(S);
          if (ttl > 2 * MIN) expect(p.delayMs).toBeLessThanOrEqual(ttl - MIN);
        },
      ),
    );
  });
});

describe("shouldRenew", () => {
  test("only provider-agent and provider-interactive tokens are renewed", () => {
    expect(shouldRenew("provider-agent")).toBe(true);
    expect(shouldRenew("provider-interactive")).toBe(true);
    expect(shouldRenew("admin")).toBe(false);
    expect(shouldRenew("ci")).toBe(false);
    expect(shouldRenew(undefined)).toBe(false);
  });
});
