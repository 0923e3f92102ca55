import { describe, expect, test } from "bun:test";
import { toAgentStatus, WorkTracker, type WorkTrackerChange } from "../../src/runner/work-tracker.ts";
import { ManualClock } from "../support/manual-clock.ts";

function tracker() {
  const clock = new ManualClock();
  const t = new WorkTracker({ clock });
  const changes: WorkTrackerChange[] = [];
  t.onChange((c) => changes.push(c));
  return { clock, t, changes };
}

describe("WorkTracker", () => {
  test("an empty tracker is idle", () => {
    const { t } = tracker();
    expect(t.semanticStatus).toBe("idle");
    expect(t.agentStatus).toBe("idle");
    expect(t.busyReasons()).toEqual([]);
  });

  test("the status is busy while any item is active and idle again when the last one goes", () => {
    const { t, changes } = tracker();
    t.add({ id: "turn-1", kind: "provider-turn" });
    t.add({ id: "42", kind: "message" });
    expect(t.semanticStatus).toBe("busy");
    t.remove("provider-turn", "turn-1");
    expect(t.semanticStatus).toBe("busy");
    t.remove("message", "42");
    expect(t.semanticStatus).toBe("idle");
    expect(changes.map((c) => [c.previousStatus, c.status, c.items.length])).toEqual([
      ["idle", "busy", 1],
      ["busy", "busy", 2],
      ["busy", "busy", 1],
      ["busy", "idle", 0],
    ]);
  });

  test("items keep their details and the time they started", async () => {
    const { t, clock } = tracker();
    const start = clock.now();
    t.add({
      id: "s1",
      kind: "subagent",
      label: "explorer",
      role: "research",
      parentId: "turn-1",
      metadata: { n: 1 },
    });
    await clock.advance(500);
    t.add({ id: "c1", kind: "command", label: "agent.compact" });
    expect(t.list()).toEqual([
      {
        id: "s1",
        kind: "subagent",
        label: "explorer",
        role: "research",
        parentId: "turn-1",
        metadata: { n: 1 },
        startedAt: start,
      },
      { id: "c1", kind: "command", label: "agent.compact", startedAt: start + 500 },
    ]);
    expect(t.list(["command"]).map((i) => i.id)).toEqual(["c1"]);
    expect(t.get("subagent", "s1")?.label).toBe("explorer");
  });

  test("ids are scoped by kind, so a message and a task with the same number are separate items", () => {
    const { t } = tracker();
    expect(t.add({ id: "7", kind: "message" })).toBe(true);
    expect(t.add({ id: "7", kind: "task" })).toBe(true);
    expect(t.size).toBe(2);
    t.remove("message", "7");
    expect(t.has("task", "7")).toBe(true);
    expect(t.has("message", "7")).toBe(false);
  });

  test("adding an active item again or removing an absent one changes nothing and emits nothing", () => {
    const { t, changes } = tracker();
    t.add({ id: "a", kind: "provider-turn" });
    const before = t.get("provider-turn", "a");
    expect(t.add({ id: "a", kind: "provider-turn", label: "again" })).toBe(false);
    expect(t.remove("subagent", "nope")).toBe(false);
    expect(t.clearKinds(["compacting"])).toBe(0);
    expect(t.get("provider-turn", "a")).toBe(before!);
    expect(changes.length).toBe(1);
  });

  test("clearKinds drops turns and subagents in one event and keeps other work", () => {
    const { t, changes } = tracker();
    t.add({ id: "turn", kind: "provider-turn" });
    t.add({ id: "s1", kind: "subagent" });
    t.add({ id: "s2", kind: "subagent" });
    t.add({ id: "5", kind: "task" });
    changes.length = 0;
    expect(t.clearKinds(["provider-turn", "subagent"])).toBe(3);
    expect(changes.length).toBe(1);
    expect(changes[0]!.items.map((i) => i.kind)).toEqual(["task"]);
    expect(t.semanticStatus).toBe("busy");
  });

  test("busy reasons list the distinct kinds of active work in a fixed order", () => {
    const { t } = tracker();
    t.add({ id: "p", kind: "permission" });
    t.add({ id: "s1", kind: "subagent" });
    t.add({ id: "s2", kind: "subagent" });
    t.add({ id: "turn", kind: "provider-turn" });
    expect(t.busyReasons()).toEqual(["provider-turn", "subagent", "permission"]);
  });

  test("conditions override work by precedence: offline > error > needs-input > starting > busy > idle", () => {
    const { t } = tracker();
    t.add({ id: "turn", kind: "provider-turn" });
    t.setCondition("starting", true);
    expect(t.semanticStatus).toBe("starting");
    t.setCondition("needs-input", true, "trust dialog");
    expect(t.semanticStatus).toBe("needs-input");
    expect(t.conditionReason("needs-input")).toBe("trust dialog");
    t.setCondition("error", true, "crash loop");
    expect(t.semanticStatus).toBe("error");
    t.setCondition("offline", true);
    expect(t.semanticStatus).toBe("offline");
    t.setCondition("offline", false);
    t.setCondition("error", false);
    t.setCondition("needs-input", false);
    expect(t.semanticStatus).toBe("starting");
    t.setCondition("starting", false);
    expect(t.semanticStatus).toBe("busy");
    t.remove("provider-turn", "turn");
    expect(t.semanticStatus).toBe("idle");
  });

  test("a condition emits only when it changes the derived status", () => {
    const { t, changes } = tracker();
    t.setCondition("error", true);
    t.setCondition("needs-input", true); // hidden under error: no change
    t.setCondition("error", true, "again"); // same status: no change
    t.setCondition("needs-input", false); // still error: no change
    t.setCondition("error", false);
    expect(changes.map((c) => c.status)).toEqual(["error", "idle"]);
  });

  test("work added under a condition still emits, because the item set changed", () => {
    const { t, changes } = tracker();
    t.setCondition("offline", true);
    t.add({ id: "c", kind: "command" });
    expect(changes.map((c) => [c.status, c.items.length])).toEqual([
      ["offline", 0],
      ["offline", 1],
    ]);
  });

  test("unsubscribed listeners hear nothing more", () => {
    const { t } = tracker();
    const heard: string[] = [];
    const off = t.onChange((c) => heard.push(c.status));
    t.add({ id: "a", kind: "message" });
    off();
    t.remove("message", "a");
    expect(heard).toEqual(["busy"]);
  });

  test("a throwing listener does not stop the others from hearing the change", () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const t = new WorkTracker({ clock, onListenerError: (e) => errors.push(e) });
    const heard: string[] = [];
    t.onChange(() => {
      throw new Error("boom");
    });
    t.onChange((c) => heard.push(c.status));
    t.add({ id: "a", kind: "message" });
    expect(heard).toEqual(["busy"]);
    expect(errors.map((e) => (e as Error).message)).toEqual(["boom"]);
  });

  test("on the wire, needs-input and starting count as busy", () => {
    expect(
      ["idle", "busy", "needs-input", "starting", "error", "offline"].map((s) => toAgentStatus(s as never)),
    ).toEqual(["idle", "busy", "busy", "busy", "error", "offline"]);
  });

  test("without listeners, adding and removing 100,000 items stays linear", () => {
    const t = new WorkTracker({ clock: new ManualClock() });
    for (let i = 0; i < 100_000; i++) t.add({ id: String(i), kind: "message" });
    for (let i = 0; i < 100_000; i++) t.remove("message", String(i));
    expect(t.semanticStatus).toBe("idle");
  });
});
