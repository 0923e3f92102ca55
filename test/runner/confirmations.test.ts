// ConfirmationTracker on a ManualClock: written messages get a deadline; late or missing confirmations are reported, never re-sent.
import { describe, expect, test } from "bun:test";
import { ConfirmationTracker } from "../../src/runner/confirmations.ts";
import { ManualClock } from "../support/manual-clock.ts";

function setup() {
  const clock = new ManualClock();
  const confirmed: number[] = [];
  const ambiguous: number[] = [];
  const tracker = new ConfirmationTracker({
    clock,
    deadlineMs: 30_000,
    onConfirmed: (id) => confirmed.push(id),
    onAmbiguous: (id) => ambiguous.push(id),
  });
  return { clock, tracker, confirmed, ambiguous };
}

describe("ConfirmationTracker", () => {
  test("a message confirmed before its deadline is never reported ambiguous", async () => {
    const s = setup();
    s.tracker.written(7);
    await s.clock.advance(29_000);
    s.tracker.confirmed(7);
    await s.clock.advance(10_000);
    expect(s.confirmed).toEqual([7]);
    expect(s.ambiguous).toEqual([]);
    expect(s.tracker.pending).toEqual([]);
  });

  test("an unconfirmed message becomes ambiguous at the deadline, once, and a late confirmation clears it", async () => {
    const s = setup();
    s.tracker.written(8);
    s.tracker.written(8);
    await s.clock.advance(30_000);
    expect(s.ambiguous).toEqual([8]);
    expect(s.tracker.ambiguous).toEqual([8]);
    s.tracker.confirmed(8);
    expect(s.confirmed).toEqual([8]);
    expect(s.tracker.ambiguous).toEqual([]);
  });

  test("stop cancels every deadline", async () => {
    const s = setup();
    s.tracker.written(1);
    s.tracker.written(2);
    s.tracker.stop();
    await s.clock.advance(60_000);
    expect(s.ambiguous).toEqual([]);
    expect(s.clock.timerCount).toBe(0);
  });

  test("a message whose provider exited before confirming is cancelled (it is delivered again), never reported ambiguous", async () => {
    const s = setup();
    s.tracker.written(9);
    s.tracker.written(10);
    s.tracker.cancel([9]);
    await s.clock.advance(30_000);
    expect(s.ambiguous).toEqual([10]);
    expect(s.tracker.pending).toEqual([]);
  });
});
