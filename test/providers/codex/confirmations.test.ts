// Which relay messages a user message Codex recorded confirms: by the client id it echoes, else by its turn.
import { describe, expect, test } from "bun:test";
import { PendingConfirmations } from "../../../src/providers/codex/confirmations.ts";

describe("PendingConfirmations", () => {
  test("a recorded user message confirms the input whose client id it carries, once", () => {
    const p = new PendingConfirmations();
    const first = p.expect([1], false);
    first.turnId = "t1";
    const steered = p.expect([2, 3], true, "t1");
    expect(steered.clientId).not.toBe(first.clientId);
    expect(p.take("t1", steered.clientId)).toBe(steered);
    expect(p.take("t1", steered.clientId)).toBeUndefined();
    expect(p.take("t1", first.clientId)?.messageIds).toEqual([1]);
  });

  test("without a client id (a Codex that does not echo it) the oldest input of that turn is confirmed", () => {
    const p = new PendingConfirmations();
    p.expect([1], false, "t1");
    p.expect([2], true, "t2");
    expect(p.take("t2", null)?.messageIds).toEqual([2]);
    expect(p.take("t3", undefined)).toBeUndefined();
  });

  test("a refused input is withdrawn; past 50 unconfirmed inputs the oldest are forgotten", () => {
    const p = new PendingConfirmations();
    const refused = p.expect([1], true, "t1");
    p.withdraw(refused);
    expect(p.take("t1", refused.clientId)).toBeUndefined();
    const all = Array.from({ length: 51 }, (_, i) => p.expect([i + 10], false));
    expect(p.take(undefined, all[0]?.clientId)).toBeUndefined();
    expect(p.take(undefined, all[50]?.clientId)?.messageIds).toEqual([60]);
  });
});
