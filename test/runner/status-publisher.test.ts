// StatusPublisher: bursts of changes in one tick coalesce into one frame that carries work, lifecycle and timeline.
import { describe, expect, test } from "bun:test";
import type { BusStatus } from "../../src/relay-client/index.ts";
import { StatusPublisher } from "../../src/runner/status-publisher.ts";
import { WorkTracker } from "../../src/runner/work-tracker.ts";
import { ManualClock } from "../support/manual-clock.ts";

function setup() {
  const clock = new ManualClock(1_000);
  const work = new WorkTracker({ clock });
  const frames: BusStatus[] = [];
  let ready = true;
  const publisher = new StatusPublisher({
    work,
    send: (f) => frames.push(f),
    ready: () => ready,
    now: () => clock.now(),
    meta: () => ({ provider: "command", auth: { profile: "provider-agent" } }),
  });
  work.onChange(() => publisher.publish());
  return { clock, work, frames, publisher, setReady: (r: boolean) => (ready = r) };
}

/** The frame's meta (the publisher always sets it). */
const meta = (f: BusStatus | undefined): Record<string, unknown> => f?.meta ?? {};
const tick = () => new Promise<void>((r) => queueMicrotask(r));

describe("StatusPublisher", () => {
  test("several changes in one tick send one frame with the final state", async () => {
    const s = setup();
    s.work.add({ kind: "provider-turn", id: "turn" });
    s.work.add({ kind: "subagent", id: "sub-1", label: "researcher" });
    s.publisher.publish("started");
    s.work.add({ kind: "message", id: "7" });
    expect(s.frames, "nothing sent before the tick ends").toHaveLength(0);
    await tick();
    expect(s.frames, "4 changes, 1 frame").toHaveLength(1);
    const f = s.frames[0]!;
    expect(f).toMatchObject({ agentStatus: "busy", semanticStatus: "busy", ready: true });
    expect(meta(f)).toMatchObject({
      provider: "command",
      lifecycleAction: "started",
      subagentCount: 1,
      activeSubagents: [{ id: "sub-1", label: "researcher" }],
    });
    expect((meta(f).activeWork as { kind: string }[]).map((w) => w.kind)).toEqual([
      "provider-turn",
      "subagent",
      "message",
    ]);
    expect(meta(f).busyReasons).toBeDefined();
  });

  test("a lifecycle action and timeline events ride on the next frame only", async () => {
    const s = setup();
    s.publisher.publish("restart");
    s.publisher.timelineEvent("runtime-token-renewed", { jti: "j2" });
    await tick();
    await s.clock.advance(5);
    s.publisher.publish();
    await tick();
    expect(s.frames).toHaveLength(2);
    expect(meta(s.frames[0]).lifecycleAction).toBe("restart");
    expect(meta(s.frames[0]).timeline).toEqual([{ event: "runtime-token-renewed", jti: "j2", at: 1_000 }]);
    expect(meta(s.frames[1]).lifecycleAction).toBeUndefined();
    expect(meta(s.frames[1]).timeline).toBeUndefined();
  });

  test("flush sends at once (shutdown), and a condition shows with its reason", async () => {
    const s = setup();
    s.setReady(false);
    s.work.setCondition("offline", true, "runner stopping");
    const frame = s.publisher.flush();
    expect(s.frames).toEqual([frame]);
    expect(frame).toMatchObject({ agentStatus: "offline", semanticStatus: "offline", ready: false });
    expect(meta(frame).conditionReason).toBe("runner stopping");
    expect(s.publisher.lastFrame).toBe(frame);
  });
});
