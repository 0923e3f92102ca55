import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

let t: TestRelay;
const clock = new ManualClock();

beforeAll(async () => {
  t = await startTestRelay({ clock, offlineSweepMs: 1_000 });
});
afterAll(() => t.close());

const agent = async (id: string) => (await t.call(t.rootToken, "GET", `/v1/agents/${id}`)).body;

describe("agents", () => {
  test("hello registers an agent with its identity; GET lists and reads it; an unknown id is 404", async () => {
    await t.openBus({
      agentId: "ag-1",
      instanceId: "i1",
      componentId: "runner-1",
      machine: "box",
      label: "one",
      tags: ["t"],
      capabilities: ["c"],
      meta: { provider: "claude" },
    });
    expect(await agent("ag-1")).toMatchObject({
      id: "ag-1",
      instanceId: "i1",
      role: "provider",
      componentId: "runner-1",
      machine: "box",
      status: "idle",
      ready: false,
      label: "one",
      tags: ["t"],
      capabilities: ["c"],
      meta: { provider: "claude" },
      connectedAt: clock.now(),
    });
    const token = await t.mintToken("someone-else");
    const list = await t.call(token, "GET", "/v1/agents");
    expect(list.body.agents.map((a: { id: string }) => a.id)).toContain("ag-1");
    expect((await t.call(token, "GET", "/v1/agents/nobody")).status).toBe(404);
  });

  test("status, ready and heartbeat over HTTP update the agent and count as heartbeats", async () => {
    await t.openBus({ agentId: "ag-2", instanceId: "i2" });
    const token = await t.mintToken("ag-2");
    await clock.advance(500);
    const s = await t.call(token, "PUT", "/v1/agents/ag-2/status", {
      status: "busy",
      instanceId: "i2",
      semanticStatus: "needs-input",
      meta: { turn: 3 },
    });
    expect(s.status).toBe(200);
    expect(await agent("ag-2")).toMatchObject({
      status: "busy",
      semanticStatus: "needs-input",
      meta: { turn: 3 },
    });
    expect(
      (await t.call(token, "PUT", "/v1/agents/ag-2/ready", { ready: true, instanceId: "i2" })).status,
    ).toBe(200);
    expect((await agent("ag-2")).ready).toBe(true);
    await clock.advance(500);
    expect((await t.call(token, "POST", "/v1/agents/ag-2/heartbeat", { instanceId: "i2" })).status).toBe(200);
    expect((await agent("ag-2")).lastHeartbeatAt).toBe(clock.now());
  });

  test("a report from a stale instance is 409 stale_instance; for another agent 403; for a missing one 404", async () => {
    await t.openBus({ agentId: "ag-3", instanceId: "new" });
    const token = await t.mintToken("ag-3");
    const stale = await t.call(token, "POST", "/v1/agents/ag-3/heartbeat", { instanceId: "old" });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("stale_instance");
    expect(
      (await t.call(token, "PUT", "/v1/agents/ag-2/status", { status: "idle", instanceId: "i2" })).status,
    ).toBe(403);
    expect(
      (await t.call(token, "PUT", "/v1/agents/ag-3/ready", { ready: "yes", instanceId: "new" })).status,
    ).toBe(400);
    expect(
      (await t.call(t.rootToken, "POST", "/v1/agents/ghost/heartbeat", { instanceId: "x" })).status,
    ).toBe(404);
  });

  test("a status frame on the bus updates status, semantic status, readiness and meta", async () => {
    const bus = await t.openBus({ agentId: "ag-4" });
    bus.send({ type: "status", agentStatus: "busy", semanticStatus: "busy", ready: true, meta: { k: 1 } });
    await waitFor(async () => (await agent("ag-4")).status === "busy", { what: "status frame applied" });
    expect(await agent("ag-4")).toMatchObject({ semanticStatus: "busy", ready: true, meta: { k: 1 } });
  });

  test("a status frame without meta keeps the stored meta, like PUT status over HTTP", async () => {
    const bus = await t.openBus({ agentId: "ag-meta", meta: { model: "m1" } });
    bus.send({ type: "status", agentStatus: "busy", semanticStatus: "busy", ready: true });
    await waitFor(async () => (await agent("ag-meta")).status === "busy", { what: "status frame applied" });
    expect((await agent("ag-meta")).meta).toEqual({ model: "m1" });
    const instanceId = (await agent("ag-meta")).instanceId;
    await t.call(t.rootToken, "PUT", "/v1/agents/ag-meta/status", { instanceId, status: "idle" });
    expect(await agent("ag-meta")).toMatchObject({ status: "idle", meta: { model: "m1" } });
  });

  test("a newer instance's hello closes the older instance's sessions with 'replaced' and 4409, not its own", async () => {
    const old = await t.openBus({ agentId: "ag-re", instanceId: "old" });
    const sameOld = await t.openBus({ agentId: "ag-re", instanceId: "old" });
    const fresh = await t.openBus({ agentId: "ag-re", instanceId: "new" });
    expect(fresh.frames[0]).toMatchObject({ type: "welcome" });
    expect(await old.closed).toBe(4409);
    expect(await sameOld.closed).toBe(4409);
    expect(old.frames.at(-1)).toMatchObject({ type: "error", code: "replaced" });
    const again = await t.openBus({ agentId: "ag-re", instanceId: "new" });
    expect(again.frames[0]).toMatchObject({ type: "welcome" });
    // The same instance saying hello again (a reconnect) leaves its other session open.
    await t.call(t.rootToken, "POST", "/v1/messages", { to: "ag-re", body: "still here?" });
    await fresh.waitForFrame((f) => f.type === "message.new");
    expect(fresh.ws.readyState).toBe(WebSocket.OPEN);
    expect((await agent("ag-re")).instanceId).toBe("new");
  });

  test("DELETE deregisters: the agent is gone, its bus session is closed with 4410; another agent may not delete it", async () => {
    const bus = await t.openBus({ agentId: "ag-5" });
    const other = await t.mintToken("ag-6");
    expect((await t.call(other, "DELETE", "/v1/agents/ag-5")).status).toBe(403);
    const own = await t.mintToken("ag-5");
    expect((await t.call(own, "DELETE", "/v1/agents/ag-5")).status).toBe(200);
    expect(await bus.closed).toBe(4410);
    expect((await t.call(t.rootToken, "GET", "/v1/agents/ag-5")).status).toBe(404);
    // Deregistration revoked the agent's tokens; root sees the agent gone.
    expect((await t.call(own, "DELETE", "/v1/agents/ag-5")).status).toBe(401);
    expect((await t.call(t.rootToken, "DELETE", "/v1/agents/ag-5")).status).toBe(404);
  });

  test("an agent goes offline only once its last session closed and 3 heartbeat intervals passed without a heartbeat", async () => {
    const first = await t.openBus({ agentId: "ag-7", instanceId: "i7", heartbeatIntervalMs: 1_000 });
    const second = await t.openBus({ agentId: "ag-7", instanceId: "i7", heartbeatIntervalMs: 1_000 });
    await clock.advance(10_000);
    expect((await agent("ag-7")).status).toBe("idle");
    await first.close();
    await clock.advance(10_000);
    expect((await agent("ag-7")).status).toBe("idle");
    await second.close();
    await waitFor(async () => (await agent("ag-7")).lastHeartbeatAt === clock.now(), {
      what: "close recorded",
    });
    // The HTTP heartbeat keeps it alive while the bus is down.
    const token = await t.mintToken("ag-7");
    await clock.advance(2_000);
    await t.call(token, "POST", "/v1/agents/ag-7/heartbeat", { instanceId: "i7" });
    await clock.advance(2_000);
    expect((await agent("ag-7")).status).toBe("idle");
    await clock.advance(1_000);
    expect(await agent("ag-7")).toMatchObject({ status: "offline", semanticStatus: "offline" });
  });
});
