import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let t: TestRelay;
let token: string;

beforeAll(async () => {
  t = await startTestRelay();
  token = await t.mintToken("task-agent");
});
afterAll(() => t.close());

const create = async (body: Record<string, unknown> = { title: "Fix the build" }) =>
  (await t.call(token, "POST", "/v1/tasks", body)).body;
const setStatus = (id: number, body: Record<string, unknown>, as = token) =>
  t.call(as, "POST", `/v1/tasks/${id}/status`, body);

describe("tasks", () => {
  test("a new task is open with one history entry by its creator", async () => {
    const task = await create({ title: "Fix the build", body: "CI is red", assignee: "task-agent" });
    expect(task).toMatchObject({
      title: "Fix the build",
      body: "CI is red",
      status: "open",
      assignee: "task-agent",
    });
    expect(task.history).toHaveLength(1);
    expect(task.history[0]).toMatchObject({ status: "open", agentId: "task-agent" });
    expect((await t.call(token, "GET", `/v1/tasks/${task.id}`)).body).toEqual(task);
  });

  test("status changes append to the history with body and metadata", async () => {
    const task = await create();
    await setStatus(task.id, { status: "in_progress", agentId: "task-agent" });
    const done = await setStatus(task.id, {
      status: "done",
      agentId: "task-agent",
      body: "fixed",
      metadata: { pr: 7 },
    });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe("done");
    expect(done.body.history.map((h: { status: string }) => h.status)).toEqual([
      "open",
      "in_progress",
      "done",
    ]);
    expect(done.body.history[2]).toMatchObject({ agentId: "task-agent", body: "fixed", metadata: { pr: 7 } });
  });

  test("setting the current status again is a no-op that answers the task unchanged", async () => {
    const task = await create();
    const first = await setStatus(task.id, { status: "in_progress", agentId: "task-agent" });
    const again = await setStatus(task.id, { status: "in_progress", agentId: "task-agent" });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  });

  test("a note (body or metadata) with the current status is appended to the history", async () => {
    const task = await create();
    await setStatus(task.id, { status: "in_progress", agentId: "task-agent" });
    const noted = await setStatus(task.id, { status: "in_progress", agentId: "task-agent", body: "halfway" });
    expect(noted.status).toBe(200);
    const meta = await setStatus(task.id, {
      status: "in_progress",
      agentId: "task-agent",
      metadata: { step: 2 },
    });
    expect(meta.body.status).toBe("in_progress");
    expect(meta.body.history.slice(1)).toEqual([
      expect.objectContaining({ status: "in_progress", agentId: "task-agent" }),
      expect.objectContaining({ status: "in_progress", body: "halfway" }),
      expect.objectContaining({ status: "in_progress", metadata: { step: 2 } }),
    ]);
  });

  test("a finished task still takes a note under its own status; a plain retry adds nothing", async () => {
    const task = await create();
    await setStatus(task.id, { status: "done", agentId: "task-agent" });
    const noted = await setStatus(task.id, { status: "done", agentId: "task-agent", body: "merged as #12" });
    expect(noted.status).toBe(200);
    expect(noted.body.history.at(-1)).toMatchObject({ status: "done", body: "merged as #12" });
    const plain = await setStatus(task.id, { status: "done", agentId: "task-agent" });
    expect(plain.body).toEqual(noted.body);
  });

  test("a finished task cannot move to another status (409)", async () => {
    const task = await create();
    await setStatus(task.id, { status: "cancelled", agentId: "task-agent" });
    const r = await setStatus(task.id, { status: "in_progress", agentId: "task-agent" });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("conflict");
  });

  test("bad input is 400, a missing task 404, acting as another agent 403, no token 401", async () => {
    expect((await t.call(token, "POST", "/v1/tasks", { title: "" })).status).toBe(400);
    const task = await create();
    expect((await setStatus(task.id, { status: "finished", agentId: "task-agent" })).status).toBe(400);
    expect((await setStatus(999_999, { status: "done", agentId: "task-agent" })).status).toBe(404);
    expect((await t.call(token, "GET", "/v1/tasks/999999")).status).toBe(404);
    expect((await t.call(token, "GET", "/v1/tasks/-1")).status).toBe(400);
    expect((await setStatus(task.id, { status: "done", agentId: "someone" })).status).toBe(403);
    expect((await t.call(undefined, "POST", "/v1/tasks", { title: "x" })).status).toBe(401);
  });
});
