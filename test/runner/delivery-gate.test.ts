// DeliveryGate on a ManualClock: a graceful stop waits for the last written message's turn, within its bound.
import { describe, expect, test } from "bun:test";
import { DeliveryGate, TURN_START_GRACE_MS } from "../../src/runner/delivery-gate.ts";
import { ManualClock } from "../support/manual-clock.ts";

function setup() {
  const clock = new ManualClock();
  let inTurn = false;
  const gate = new DeliveryGate(clock, () => inTurn);
  return { clock, gate, setTurn: (v: boolean) => (inTurn = v) };
}

/** Run quiesce and report when it resolved, in clock time. */
function quiesce(s: ReturnType<typeof setup>, ms: number) {
  let doneAt: number | undefined;
  void s.gate.quiesce(ms, async () => {}).then(() => (doneAt = s.clock.now()));
  return () => doneAt;
}

describe("DeliveryGate", () => {
  test("closes at once and opens on request", async () => {
    const s = setup();
    const done = quiesce(s, 5_000);
    expect(s.gate.isOpen).toBe(false);
    await s.clock.advance(0);
    expect(done()).toBeDefined();
    s.gate.open();
    expect(s.gate.isOpen).toBe(true);
  });

  test("waits for a just-written message to start its turn, then for the turn to end", async () => {
    const s = setup();
    const start = s.clock.now();
    s.gate.delivered();
    const done = quiesce(s, 5_000);
    await s.clock.advance(300);
    expect(done()).toBeUndefined();
    s.gate.turnStarted();
    s.setTurn(true);
    await s.clock.advance(1_000);
    expect(done()).toBeUndefined();
    s.setTurn(false);
    await s.clock.advance(100);
    expect(done()! - start).toBeLessThanOrEqual(1_400);
  });

  test("a message whose turn never starts holds the stop for the grace period only", async () => {
    const s = setup();
    const start = s.clock.now();
    s.gate.delivered();
    const done = quiesce(s, 5_000);
    await s.clock.advance(TURN_START_GRACE_MS + 100);
    expect(done()).toBeDefined();
    expect(done()! - start).toBeGreaterThanOrEqual(TURN_START_GRACE_MS);
  });

  test("a turn that outlasts the bound does not hold the stop past it", async () => {
    const s = setup();
    s.setTurn(true);
    const done = quiesce(s, 2_000);
    await s.clock.advance(2_100);
    expect(done()).toBeDefined();
  });
});
