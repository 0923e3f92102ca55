// The relay's webhook (--notify-url) against a real local endpoint: an agent entering needs-input or error and a
// failed task are each posted once; an endpoint that fails is retried; a dead endpoint never slows the relay.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Notification } from "../../src/relay/notifier.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

let t: TestRelay;
let endpoint: ReturnType<typeof Bun.serve>;
const received: Notification[] = [];
let failNext = 0;
beforeAll(async () => {
  endpoint = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const body = (await req.json()) as Notification;
      if (failNext > 0) {
        failNext--;
        return new Response("busy", { status: 503 });
      }
      received.push(body);
      return new Response(null, { status: 204 });
    },
  });
  t = await startTestRelay({ notifyUrl: `http://127.0.0.1:${endpoint.port}/hook` });
});
afterAll(async () => {
  await t.close();
  await endpoint.stop(true);
});

const eventsFor = (id: string) => received.filter((n) => "agentId" in n && n.agentId === id);

describe("notifications (--notify-url)", () => {
  test("an agent entering needs-input, then error, is posted once each, with the reason; staying there is not", async () => {
    const bus = await t.openBus({ agentId: "nt-a", label: "lead" });
    const status = (s: string, meta: Record<string, unknown> = {}) =>
      bus.send({
        type: "status",
        agentStatus: s === "busy" ? "busy" : "idle",
        semanticStatus: s,
        ready: true,
        meta,
      });
    status("needs-input", { conditionReason: "permission: Bash make deploy" });
    await waitFor(() => eventsFor("nt-a").length === 1, { what: "the needs-input notification" });
    expect(eventsFor("nt-a")[0]).toEqual({
      event: "agent.needs-input",
      agentId: "nt-a",
      label: "lead",
      reason: "permission: Bash make deploy",
      at: expect.any(Number),
    });
    bus.send({ type: "heartbeat" });
    status("needs-input", { conditionReason: "permission: Bash make deploy" });
    status("busy");
    status("error", { lastFailure: "model answered 500" });
    await waitFor(() => eventsFor("nt-a").length === 2, { what: "the error notification" });
    expect(eventsFor("nt-a").map((n) => n.event)).toEqual(["agent.needs-input", "agent.error"]);
    expect(eventsFor("nt-a")[1]).toMatchObject({ reason: "model answered 500" });
    await bus.close();
  });

  test("a failed task is posted with its reason, after the endpoint's two 503s", async () => {
    const worker = await t.mintToken("nt-worker");
    const task = (
      await t.call(t.rootToken, "POST", "/v1/tasks", { title: "Port the parser", assignee: "nt-worker" })
    ).body;
    await t.call(worker, "POST", `/v1/tasks/${task.id}/status`, {
      status: "in_progress",
      agentId: "nt-worker",
    });
    failNext = 2;
    const failed = await t.call(worker, "POST", `/v1/tasks/${task.id}/status`, {
      status: "failed",
      agentId: "nt-worker",
      outcome: { status: "failed", reason: "tests never passed", durationMs: 5 },
    });
    expect(failed.status).toBe(200);
    await waitFor(() => received.some((n) => n.event === "task.failed"), {
      timeoutMs: 15_000,
      what: "the task.failed notification after its retries",
    });
    expect(failNext).toBe(0);
    expect(received.filter((n) => n.event === "task.failed")).toEqual([
      {
        event: "task.failed",
        taskId: task.id,
        title: "Port the parser",
        agentId: "nt-worker",
        reason: "tests never passed",
        at: expect.any(Number),
      },
    ]);
  });

  test("with the endpoint unreachable, the relay answers as before", async () => {
    const dead = await startTestRelay({ notifyUrl: "http://127.0.0.1:9/never" });
    try {
      const bus = await dead.openBus({ agentId: "nt-dead" });
      bus.send({ type: "status", agentStatus: "idle", semanticStatus: "error", ready: true, meta: {} });
      const res = await dead.call(dead.rootToken, "POST", "/v1/messages", {
        to: "nt-dead",
        body: "still here",
      });
      expect(res.status).toBe(200);
      await bus.close();
    } finally {
      await dead.close();
    }
  });
});
