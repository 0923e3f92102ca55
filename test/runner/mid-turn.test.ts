// The runner's rule for DeliveryItem.midTurn: urgent, and never into the turn of another task.
import { describe, expect, test } from "bun:test";
import type { Message } from "../../src/protocol/index.ts";
import { mayEnterRunningTurn } from "../../src/runner/mid-turn.ts";
import { noteMessage } from "../../src/runner/note.ts";

const message = (extra: Partial<Message> = {}): Message => ({
  ...noteMessage("bob", "x", 0),
  id: 1,
  from: "alice",
  kind: "chat",
  ...extra,
});

describe("mayEnterRunningTurn", () => {
  test("only an urgent message may enter a running turn", () => {
    expect(mayEnterRunningTurn(message(), undefined)).toBe(false);
    expect(mayEnterRunningTurn(message({ urgent: true }), undefined)).toBe(true);
    expect(mayEnterRunningTurn(message({ urgent: true }), 7)).toBe(true);
  });

  test("an urgent task-linked message enters only the turn of its own task, or of no task", () => {
    const about7 = message({ urgent: true, payload: { taskId: 7 } });
    expect(mayEnterRunningTurn(about7, undefined)).toBe(true);
    expect(mayEnterRunningTurn(about7, 7)).toBe(true);
    expect(mayEnterRunningTurn(about7, 8)).toBe(false);
  });

  test("a task-outcome note only reports on a task: it is not linked to it", () => {
    const note = message({ urgent: true, kind: "task-outcome", payload: { taskId: 7, outcome: "done" } });
    expect(mayEnterRunningTurn(note, 8)).toBe(true);
  });
});
