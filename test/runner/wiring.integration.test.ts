// The runner's reaction to the relay ending its bus session for good (real relay, real runner, command provider in tmux).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { startTestRunner, stopTestRunners } from "../support/runner.ts";

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.close();
});
afterEach(stopTestRunners);

const agent = (id: string) => relay.call(relay.rootToken, "GET", `/v1/agents/${id}`);

describe("runner and a relay that ends its session", () => {
  test("a newer instance's hello stops the runner with exit code 1, leaving the agent to the new instance", async () => {
    const r = await startTestRunner({ relay, agentId: "twin-a" });
    const newer = await relay.openBus({ agentId: "twin-a", instanceId: "twin-a-newer" });
    expect(newer.frames[0]).toMatchObject({ type: "welcome" });
    expect(await r.runner.done).toEqual({ code: 1, reason: "replaced by a newer instance" });
    const after = await agent("twin-a");
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ instanceId: "twin-a-newer", status: "idle" });
    expect(newer.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("deregistration on the relay stops the runner with exit code 0 and no second deregistration", async () => {
    const r = await startTestRunner({ relay, agentId: "gone-a" });
    expect((await relay.call(relay.rootToken, "DELETE", "/v1/agents/gone-a")).status).toBe(200);
    expect(await r.runner.done).toEqual({ code: 0, reason: "deregistered on the relay" });
    expect((await agent("gone-a")).status).toBe(404);
    // A second DELETE would be a 404, logged by the shutdown sequence as a failed step.
    expect(r.logs.filter((l) => l.msg === "deregister failed during shutdown")).toEqual([]);
  });

  test("a quick restart: the old instance's final deregistration names it, so the new instance stays registered", async () => {
    const r = await startTestRunner({ relay, agentId: "quick-a" });
    // The old run starts its shutdown; its provider stop takes a moment, and the new run says hello meanwhile.
    const stopping = r.runner.stop({ reason: "restart", graceful: false, deregister: true });
    const newer = await relay.openBus({ agentId: "quick-a", instanceId: "quick-a-newer" });
    expect(newer.frames[0]).toMatchObject({ type: "welcome" });
    await stopping;
    const after = await agent("quick-a");
    expect(after.status).toBe(200);
    expect(after.body.instanceId).toBe("quick-a-newer");
    expect(newer.ws.readyState).toBe(WebSocket.OPEN);
  });
});
