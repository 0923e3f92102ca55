// The permission broker's rules on a manual clock: one answer per request, exactly one resolved event, deadlines.
import { describe, expect, test } from "bun:test";
import { PermissionBroker, TIMEOUT_REASON } from "../../src/control/permission-broker.ts";
import type { ProviderEvent } from "../../src/providers/adapter.ts";
import { ManualClock } from "../support/manual-clock.ts";

function setup() {
  const clock = new ManualClock();
  const events: ProviderEvent[] = [];
  let n = 0;
  const broker = new PermissionBroker({ clock, emit: (e) => events.push(e), newId: () => `ap-${++n}` });
  const ask = { providerSessionId: "s1", tool: "Bash", detail: "rm -rf build", timeoutMs: 60_000 };
  return { clock, events, broker, ask };
}

describe("PermissionBroker", () => {
  test("a request is announced, listed while pending, and answered by resolve", async () => {
    const { broker, events, ask } = setup();
    const answer = broker.request({ ...ask, metadata: { k: 1 } }, new AbortController().signal);
    expect(events).toEqual([
      {
        type: "permission.requested",
        providerSessionId: "s1",
        request: { approvalId: "ap-1", tool: "Bash", detail: "rm -rf build", metadata: { k: 1 } },
      },
    ]);
    expect(broker.list().map((p) => p.approvalId)).toEqual(["ap-1"]);
    expect(broker.resolve("ap-1", "approve-session", "ok")).toBe(true);
    expect(await answer).toEqual({ approvalId: "ap-1", decision: "approve-session", reason: "ok" });
    expect(events.at(-1)).toEqual({
      type: "permission.resolved",
      providerSessionId: "s1",
      approvalId: "ap-1",
    });
    expect(broker.size).toBe(0);
  });

  test("resolve returns false for unknown and already-answered ids", () => {
    const { broker, ask } = setup();
    expect(broker.resolve("nope", "approve")).toBe(false);
    broker.request(ask, new AbortController().signal);
    expect(broker.resolve("ap-1", "deny")).toBe(true);
    expect(broker.resolve("ap-1", "approve")).toBe(false);
  });

  test("a request nobody answers is denied with a reason when its deadline passes", async () => {
    const { broker, clock, events, ask } = setup();
    const answer = broker.request(ask, new AbortController().signal);
    await clock.advance(59_999);
    expect(broker.size).toBe(1);
    await clock.advance(1);
    expect(await answer).toEqual({ approvalId: "ap-1", decision: "deny", reason: TIMEOUT_REASON });
    expect(events.filter((e) => e.type === "permission.resolved")).toHaveLength(1);
  });

  test("an aborted asker drops the request, emits resolved once, and cancels the deadline", async () => {
    const { broker, clock, events, ask } = setup();
    const ac = new AbortController();
    const answer = broker.request(ask, ac.signal);
    ac.abort();
    expect((await answer).decision).toBe("abort");
    expect(broker.size).toBe(0);
    expect(clock.timerCount).toBe(0);
    await clock.advance(120_000);
    expect(events.filter((e) => e.type === "permission.resolved")).toHaveLength(1);
  });

  test("settleAll answers every pending request", async () => {
    const { broker, ask } = setup();
    const a = broker.request(ask, new AbortController().signal);
    const b = broker.request(ask, new AbortController().signal);
    broker.settleAll("abort", "runner stopping");
    expect((await a).decision).toBe("abort");
    expect(await b).toEqual({ approvalId: "ap-2", decision: "abort", reason: "runner stopping" });
  });
});
