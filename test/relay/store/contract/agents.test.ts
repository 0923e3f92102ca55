// The agent contract on every store: registration and origins, lookups by label and runner, liveness reports,
// removal and the offline sweep, each change told to onChange.
import { expect, test } from "bun:test";
import type { AgentRegistration } from "../../../../src/relay/store/types.ts";
import { forEachStore, T0 } from "./for-each-store.ts";

const reg = (id: string, over: Partial<AgentRegistration> = {}): AgentRegistration => ({
  id,
  instanceId: `${id}-i1`,
  componentId: `${id}-runner`,
  machine: "box",
  status: "idle",
  capabilities: ["code"],
  tags: ["dev"],
  meta: { v: 1 },
  heartbeatIntervalMs: 1000,
  ...over,
});

forEachStore((open) => {
  test("register stores the row not ready, and records the origin only on the first registration", async () => {
    const s = await open();
    const changed: string[] = [];
    s.agents.onChange = (id) => changed.push(id);
    expect(await s.agents.originOf("a")).toBe(0);
    await s.messages.insertBatch([
      {
        from: "x",
        to: "*",
        kind: "chat",
        body: "b",
        payload: {},
        claimable: false,
        attachments: [],
        createdAt: T0,
      },
    ]);
    await s.agents.register(reg("a", { label: "lead" }), T0);
    const origin = await s.agents.originOf("a");
    expect(origin).toBeGreaterThan(0);
    expect(await s.agents.get("a")).toEqual({
      id: "a",
      instanceId: "a-i1",
      role: "provider",
      componentId: "a-runner",
      machine: "box",
      status: "idle",
      semanticStatus: "idle",
      ready: false,
      capabilities: ["code"],
      tags: ["dev"],
      label: "lead",
      meta: { v: 1 },
      connectedAt: T0,
      lastHeartbeatAt: T0,
    });
    await s.agents.touch("a", { ready: true }, T0 + 1);
    await s.messages.insertBatch([
      {
        from: "x",
        to: "*",
        kind: "chat",
        body: "c",
        payload: {},
        claimable: false,
        attachments: [],
        createdAt: T0,
      },
    ]);
    expect(await s.agents.remove("a")).toBe(true);
    expect(await s.agents.remove("a")).toBe(false);
    await s.agents.register(reg("a", { instanceId: "a-i2" }), T0 + 2);
    expect(await s.agents.originOf("a")).toBe(origin);
    expect((await s.agents.get("a"))?.ready).toBe(false);
    expect(changed).toEqual(["a", "a", "a", "a"]);
  });

  test("lookups: every agent by id, the sole label holder, the runner's latest agent, others holding a value", async () => {
    const s = await open();
    await s.agents.register(reg("b", { label: "ops", componentId: "r1" }), T0);
    await s.agents.register(reg("a", { label: "ops", componentId: "r1" }), T0 + 5);
    await s.agents.register(reg("c", { label: "qa" }), T0);
    expect((await s.agents.list()).map((a) => a.id)).toEqual(["a", "b", "c"]);
    expect(await s.agents.soleAgentWithLabel("ops")).toBeUndefined();
    expect(await s.agents.soleAgentWithLabel("qa")).toBe("c");
    expect(await s.agents.agentForComponent("r1")).toBe("a");
    expect(await s.agents.agentForComponent("none")).toBeUndefined();
    expect(await s.agents.othersHolding("label", "ops", "a")).toEqual([{ id: "b", status: "idle" }]);
    expect(await s.agents.othersHolding("component_id", "r1", "b")).toEqual([{ id: "a", status: "idle" }]);
    await s.agents.clearLabel("b");
    expect(await s.agents.soleAgentWithLabel("ops")).toBe("a");
  });

  test("touch changes only the fields given and counts as a heartbeat", async () => {
    const s = await open();
    await s.agents.register(reg("a"), T0);
    await s.agents.touch("a", { status: "busy", semanticStatus: "thinking", meta: { v: 2 } }, T0 + 10);
    await s.agents.touch("a", { ready: true }, T0 + 20);
    expect(await s.agents.get("a")).toMatchObject({
      status: "busy",
      semanticStatus: "thinking",
      ready: true,
      meta: { v: 2 },
      lastHeartbeatAt: T0 + 20,
    });
  });

  test("the sweep marks offline the silent agents without a session, once", async () => {
    const s = await open();
    for (const id of ["a", "b", "c"]) await s.agents.register(reg(id), T0);
    await s.agents.touch("c", { ready: true }, T0 + 2500);
    expect(await s.agents.sweepOffline(["b"], T0 + 2999)).toEqual([]);
    expect(await s.agents.sweepOffline(["b"], T0 + 3000)).toEqual(["a"]);
    expect(await s.agents.sweepOffline([], T0 + 3000)).toEqual(["b"]);
    expect(await s.agents.get("a")).toMatchObject({
      status: "offline",
      semanticStatus: "offline",
      ready: false,
    });
    expect((await s.agents.get("c"))?.status).toBe("idle");
  });
});
