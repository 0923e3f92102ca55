import { afterEach, describe, expect, test } from "bun:test";
import type { TokenAnswer, TokenRecord } from "../../src/protocol/index.ts";
import { TokenRenewer } from "../../src/runner/token-renewer.ts";
import { ManualClock } from "../support/manual-clock.ts";

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

function record(clock: ManualClock, ttlMs: number, jti = "jti-0", profileId = "provider-agent"): TokenRecord {
  return { jti, agentId: "a1", profileId, expiresAt: Math.floor((clock.now() + ttlMs) / 1000) };
}

interface Harness {
  clock: ManualClock;
  renewer: TokenRenewer;
  calls: AbortSignal[];
  renewed: TokenAnswer[];
  failed: unknown[];
  /** What the next renew() does. */
  next: () => Promise<TokenAnswer>;
}

const live: TokenRenewer[] = [];
afterEach(() => {
  for (const r of live.splice(0)) r.stop();
});

function harness(): Harness {
  // Start on a whole second so epoch-second expiries give exact delays.
  const clock = new ManualClock(1_700_000_000_000);
  const h = { clock, calls: [], renewed: [], failed: [] } as unknown as Harness;
  h.next = () => Promise.reject(new Error("no answer set"));
  h.renewer = new TokenRenewer({
    clock,
    random: () => 0,
    renew: (signal) => {
      h.calls.push(signal);
      return h.next();
    },
    onRenewed: (a) => {
      h.renewed.push(a);
    },
    onFailed: (e) => {
      h.failed.push(e);
    },
  });
  live.push(h.renewer);
  return h;
}

describe("TokenRenewer", () => {
  test("renews at the computed time and schedules the next renewal from the new token", async () => {
    const h = harness();
    expect(h.renewer.schedule(record(h.clock, H))).toBe(true);
    expect(h.clock.nextDelay()).toBe(48 * MIN);

    h.next = async () => ({ token: "t1", record: record(h.clock, 10 * H, "jti-1") });
    await h.clock.advance(48 * MIN - 1);
    expect(h.calls.length).toBe(0);
    await h.clock.advance(1);
    expect(h.calls.length).toBe(1);
    expect(h.renewed.map((a) => a.token)).toEqual(["t1"]);
    expect(h.renewer.state).toBe("waiting");
    expect(h.clock.nextDelay()).toBe(9 * H);
    expect(h.clock.timerCount).toBe(1);
  });

  test("a failed renewal is reported and retried in 60 s, then succeeds", async () => {
    const h = harness();
    h.renewer.schedule(record(h.clock, 2 * MIN));
    h.next = () => Promise.reject(new Error("relay down"));
    await h.clock.advance(MIN);
    expect(h.failed.map((e) => (e as Error).message)).toEqual(["relay down"]);
    expect(h.clock.nextDelay()).toBe(60 * S);

    h.next = async () => ({ token: "t2", record: record(h.clock, H, "jti-2") });
    await h.clock.advance(60 * S);
    expect(h.calls.length).toBe(2);
    expect(h.renewed.map((a) => a.token)).toEqual(["t2"]);
    expect(h.clock.nextDelay()).toBe(48 * MIN);
  });

  test("keeps retrying every 60 s while the relay keeps failing", async () => {
    const h = harness();
    h.renewer.schedule(record(h.clock, 10 * S));
    h.next = () => Promise.reject(new Error("nope"));
    await h.clock.advance(S + 3 * 60 * S);
    expect(h.calls.length).toBe(4);
    expect(h.failed.length).toBe(4);
    expect(h.clock.timerCount).toBe(1);
  });

  test("stop cancels the timer and nothing fires afterwards", async () => {
    const h = harness();
    h.renewer.schedule(record(h.clock, H));
    h.renewer.stop();
    expect(h.clock.timerCount).toBe(0);
    await h.clock.advance(10 * H);
    expect(h.calls.length).toBe(0);
    expect(h.renewer.schedule(record(h.clock, H))).toBe(false);
    expect(h.clock.timerCount).toBe(0);
  });

  test("stop during a renewal aborts it and ignores its answer", async () => {
    const h = harness();
    h.renewer.schedule(record(h.clock, 2 * MIN));
    let answer!: (a: TokenAnswer) => void;
    h.next = () => new Promise((resolve) => (answer = resolve));
    await h.clock.advance(MIN);
    expect(h.renewer.state).toBe("renewing");
    h.renewer.stop();
    expect(h.calls[0]!.aborted).toBe(true);
    answer({ token: "late", record: record(h.clock, H) });
    await h.clock.advance(10 * H);
    expect(h.renewed).toEqual([]);
    expect(h.failed).toEqual([]);
    expect(h.clock.timerCount).toBe(0);
  });

  test("tokens of other profiles are not renewed", async () => {
    const h = harness();
    expect(h.renewer.schedule(record(h.clock, H, "j", "admin"))).toBe(false);
    expect(h.clock.timerCount).toBe(0);
    expect(h.renewer.state).toBe("idle");
  });

  test("rescheduling replaces the previous plan instead of adding a second timer", () => {
    const h = harness();
    h.renewer.schedule(record(h.clock, H));
    h.renewer.schedule(record(h.clock, 10 * H));
    expect(h.clock.timerCount).toBe(1);
    expect(h.clock.nextDelay()).toBe(9 * H);
  });

  test("a delay beyond 2^31-1 ms is slept in pieces and still fires on time", async () => {
    const h = harness();
    const ttl = 60 * 24 * H; // 60 days: delay ≈ 59.96 days > 24.8 days
    h.renewer.schedule(record(h.clock, ttl));
    const due = h.renewer.nextRenewalAt!;
    expect(h.clock.nextDelay()).toBe(2 ** 31 - 1);
    h.next = async () => ({ token: "t", record: record(h.clock, H) });
    await h.clock.advance(due - h.clock.now() - 1);
    expect(h.calls.length).toBe(0);
    await h.clock.advance(1);
    expect(h.calls.length).toBe(1);
  });

  test("an onRenewed failure is reported but the next renewal is still planned", async () => {
    const clock = new ManualClock();
    const failed: unknown[] = [];
    const renewer = new TokenRenewer({
      clock,
      random: () => 0,
      renew: async () => ({ token: "t", record: record(clock, H) }),
      onRenewed: () => {
        throw new Error("swap failed");
      },
      onFailed: (e) => failed.push(e),
    });
    live.push(renewer);
    renewer.schedule(record(clock, 10 * S));
    await clock.advance(S);
    expect(failed.map((e) => (e as Error).message)).toEqual(["swap failed"]);
    expect(renewer.state).toBe("waiting");
  });

  test("renewNow renews at once, joins a renewal in flight, and plans the next one", async () => {
    const h = harness();
    h.renewer.schedule(record(h.clock, 10 * H));
    let answer!: (a: TokenAnswer) => void;
    h.next = () => new Promise((resolve) => (answer = resolve));
    const first = h.renewer.renewNow();
    const second = h.renewer.renewNow();
    expect(h.calls.length).toBe(1);
    expect(h.clock.timerCount).toBe(0);
    answer({ token: "now", record: record(h.clock, H, "jti-now") });
    await Promise.all([first, second]);
    expect(h.renewed.map((a) => a.token)).toEqual(["now"]);
    expect(h.clock.nextDelay()).toBe(48 * MIN);
    expect(h.clock.timerCount).toBe(1);
  });
});
