// DeliveryRecords on a ManualClock: written messages get a deadline; late or missing confirmations are reported, never re-sent.
import { describe, expect, test } from "bun:test";
import type { Message } from "../../src/protocol/index.ts";
import { DeliveryRecords } from "../../src/runner/delivery-records.ts";
import { noteMessage } from "../../src/runner/note.ts";
import { WorkTracker } from "../../src/runner/work-tracker.ts";
import { ManualClock } from "../support/manual-clock.ts";

function setup() {
  const clock = new ManualClock();
  const ambiguous: number[] = [];
  const states: [number, string, boolean | undefined][] = [];
  const work = new WorkTracker({ clock });
  const records = new DeliveryRecords({
    clock,
    work,
    deadlineMs: 30_000,
    onAmbiguous: (id) => ambiguous.push(id),
    onState: (id, state, midTurn) => states.push([id, state, midTurn]),
  });
  /** A message taken by a batch and handed over with `written` to a provider that confirms. */
  const written = (id: number, claimable = false) => {
    const message: Message = { ...noteMessage("a1", `message ${id}`, 0), id, claimable };
    records.add(message);
    const [r] = records.takeNew(1);
    r!.claimed = claimable;
    records.move(r!, "claimed");
    r!.item = { message, attachmentPaths: [] };
    records.handedOver(r!, "written", records.epoch, true);
    return r!;
  };
  return { clock, records, ambiguous, states, work, written };
}

describe("DeliveryRecords", () => {
  test("a message confirmed before its deadline is never reported ambiguous", async () => {
    const s = setup();
    s.written(7);
    await s.clock.advance(29_000);
    expect(s.records.confirmed(7)).toBe(true);
    await s.clock.advance(10_000);
    expect(s.records.stateOf(7)).toBe("confirmed");
    expect(s.ambiguous).toEqual([]);
    expect(s.clock.timerCount).toBe(0);
  });

  test("an unconfirmed message becomes ambiguous at the deadline, once, and a late confirmation clears it", async () => {
    const s = setup();
    s.written(8);
    await s.clock.advance(30_000);
    await s.clock.advance(30_000);
    expect(s.ambiguous).toEqual([8]);
    expect(s.records.ambiguous).toEqual([8]);
    expect(s.records.stateOf(8)).toBe("ambiguous");
    expect(s.records.confirmed(8)).toBe(true);
    expect(s.records.ambiguous).toEqual([]);
    expect(s.records.stateOf(8)).toBe("confirmed");
  });

  test("a confirmation says whether the message went into a running turn; the last 20 are kept for the meta", async () => {
    const s = setup();
    s.written(1);
    s.written(2);
    s.records.confirmed(1, true);
    s.records.confirmed(2);
    expect(s.states.filter(([, state]) => state === "confirmed")).toEqual([
      [1, "confirmed", true],
      [2, "confirmed", false],
    ]);
    expect(s.records.recentDeliveries).toEqual([
      { messageId: 1, midTurn: true },
      { messageId: 2, midTurn: false },
    ]);
    for (let id = 3; id <= 30; id++) {
      s.written(id);
      s.records.confirmed(id, id % 2 === 0);
    }
    expect(s.records.recentDeliveries.map((d) => d.messageId)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 11),
    );
    expect(s.records.confirmed(30, true), "confirmed twice: nothing more").toBe(false);
  });

  test("a confirmation that comes while its delivery is still under way confirms it when the delivery returns", () => {
    const s = setup();
    const message: Message = { ...noteMessage("a1", "steered", 0), id: 40 };
    s.records.add(message);
    const [r] = s.records.takeNew(1);
    expect(s.records.confirmed(40, true), "taken while claimed").toBe(true);
    expect(s.records.stateOf(40)).toBe("claimed");
    r!.item = { message, attachmentPaths: [] };
    s.records.handedOver(r!, "written", s.records.epoch, true);
    expect(s.records.stateOf(40)).toBe("confirmed");
    expect(s.states.at(-1)).toEqual([40, "confirmed", true]);
    expect(s.clock.timerCount, "no confirmation deadline").toBe(0);
  });

  test("stop cancels every deadline", async () => {
    const s = setup();
    s.written(1);
    s.written(2);
    s.records.stop();
    await s.clock.advance(60_000);
    expect(s.ambiguous).toEqual([]);
    expect(s.clock.timerCount).toBe(0);
  });

  test("a message whose provider exited before confirming is queued again for the next session, never reported ambiguous", async () => {
    const s = setup();
    s.written(9);
    s.written(10);
    s.records.confirmed(10);
    expect(s.records.providerExited()).toEqual([9]);
    await s.clock.advance(30_000);
    expect(s.ambiguous).toEqual([]);
    expect(s.records.stateOf(9)).toBe("queued");
    expect(s.records.wasHandedOver(9), "a re-read of it is not a new message").toBe(true);
    expect(s.records.takeNew(10), "not a new delivery").toEqual([]);
    expect(s.records.takeRedeliveries().map((r) => r.message.id)).toEqual([9]);
  });

  test("a claimed claimable message is work until it is handed over", () => {
    const s = setup();
    const r = s.written(11, true);
    expect(s.work.has("message", "11"), "written: no longer work").toBe(false);
    s.records.providerExited();
    s.records.takeRedeliveries();
    expect(r.state).toBe("claimed");
    expect(s.work.has("message", "11"), "re-delivery under way").toBe(true);
    s.records.handedOver(r, "confirmed", s.records.epoch, true);
    expect(s.work.has("message", "11")).toBe(false);
  });
});
