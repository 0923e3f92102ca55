import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let t: TestRelay;
let boss: string;
let worker: string;
let other: string;
let operator: string;

beforeAll(async () => {
  t = await startTestRelay();
  boss = await t.mintToken("boss");
  worker = await t.mintToken("worker");
  other = await t.mintToken("other");
  operator = await t.mintToken("ops", "operator");
});
afterAll(() => t.close());

const create = async (extra: Record<string, unknown> = {}) =>
  (await t.call(boss, "POST", "/v1/tasks", { title: "Port the parser", assignee: "worker", ...extra })).body;
const setStatus = (id: number, body: Record<string, unknown>, as = worker) =>
  t.call(as, "POST", `/v1/tasks/${id}/status`, body);
const inbox = async (agent: string) =>
  (await t.call(t.rootToken, "GET", `/v1/agents/${agent}/unread?limit=1000`)).body.messages as {
    from: string;
    kind: string;
    body: string;
    payload: Record<string, unknown>;
  }[];

describe("task outcomes", () => {
  test("a task carries its time limit; one over 7 days or under 1 s is refused", async () => {
    expect((await create({ timeLimitSeconds: 1800 })).timeLimitSeconds).toBe(1800);
    for (const bad of [0, 7 * 86400 + 1, 1.5]) {
      const r = await t.call(boss, "POST", "/v1/tasks", { title: "x", timeLimitSeconds: bad });
      expect(r.status).toBe(400);
    }
  });

  test("the assignee's partial outcome is stored, timed from in_progress, and reaches the creator linked to the task", async () => {
    const task = await create();
    await setStatus(task.id, { status: "in_progress", agentId: "worker" });
    const ended = await setStatus(task.id, {
      status: "done",
      agentId: "worker",
      outcome: { status: "partial", summary: "ported the lexer only", reason: "parser needs a design" },
    });
    expect(ended.status).toBe(200);
    expect(ended.body.status).toBe("done");
    expect(ended.body.outcome).toMatchObject({ status: "partial", summary: "ported the lexer only" });
    expect(ended.body.outcome.durationMs).toBeGreaterThanOrEqual(0);
    expect((await t.call(boss, "GET", `/v1/tasks/${task.id}`)).body.outcome).toEqual(ended.body.outcome);

    const notes = (await inbox("boss")).filter((m) => m.payload.taskId === task.id);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ from: "worker", kind: "task-outcome" });
    expect(notes[0]!.body).toContain("Outcome: partial (parser needs a design)");
    expect(notes[0]!.body).toContain("Summary: ported the lexer only");
    expect(notes[0]!.payload.outcome).toEqual(ended.body.outcome);
  });

  test("an outcome is set once: a second one (the runner's, after the agent declared) is a conflict", async () => {
    const task = await create();
    const declared = { status: "failed", reason: "cannot reproduce" };
    expect(
      (await setStatus(task.id, { status: "failed", agentId: "worker", outcome: declared })).status,
    ).toBe(200);
    const late = await setStatus(task.id, {
      status: "done",
      agentId: "worker",
      outcome: { status: "complete", durationMs: 5 },
    });
    expect(late.status).toBe(409);
    expect((await t.call(boss, "GET", `/v1/tasks/${task.id}`)).body.outcome).toMatchObject(declared);
  });

  test("the outcome must match the status: complete and partial end done, failed ends failed", async () => {
    const task = await create();
    const r = await setStatus(task.id, {
      status: "failed",
      agentId: "worker",
      outcome: { status: "partial" },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("a partial outcome goes with status done");
    const s = await setStatus(task.id, {
      status: "in_progress",
      agentId: "worker",
      outcome: { status: "failed" },
    });
    expect(s.status).toBe(400);
  });

  test("only the assignee, an operator or root may end a task with an outcome; the creator may not", async () => {
    const task = await create();
    const byCreator = await setStatus(
      task.id,
      { status: "done", agentId: "boss", outcome: { status: "complete" } },
      boss,
    );
    expect(byCreator.status).toBe(403);
    const byOther = await setStatus(
      task.id,
      { status: "done", agentId: "other", outcome: { status: "complete" } },
      other,
    );
    expect(byOther.status).toBe(403);
    const byOperator = await setStatus(
      task.id,
      { status: "failed", agentId: "ops", outcome: { status: "failed", reason: "cancelled upstream" } },
      operator,
    );
    expect(byOperator.status).toBe(200);
    const root = await create();
    const byRoot = await setStatus(
      root.id,
      { status: "done", agentId: "worker", outcome: { status: "complete" } },
      t.rootToken,
    );
    expect(byRoot.status).toBe(200);
  });

  test("outcome strings are bounded", async () => {
    const task = await create();
    const r = await setStatus(task.id, {
      status: "done",
      agentId: "worker",
      outcome: { status: "complete", summary: "x".repeat(8001) },
    });
    expect(r.status).toBe(400);
  });

  test("an agent ending a task it created itself gets no note", async () => {
    const task = (await t.call(worker, "POST", "/v1/tasks", { title: "self", assignee: "worker" })).body;
    await setStatus(task.id, { status: "done", agentId: "worker", outcome: { status: "complete" } });
    expect((await inbox("worker")).filter((m) => m.payload.taskId === task.id)).toHaveLength(0);
  });
});
