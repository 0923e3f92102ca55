// The task and command contract on every store: a task's transitions with their history, listing filters,
// command creation, status moves and the pending queue per agent.
import { expect, test } from "bun:test";
import { forEachStore, T0 } from "./for-each-store.ts";

forEachStore((open) => {
  test("a task is created open with its first history entry; a transition writes both together", async () => {
    const s = await open();
    const created: number[] = [];
    const moved: string[] = [];
    s.tasks.onCreated = (t) => created.push(t.id);
    s.tasks.onTransition = (id, c) => moved.push(`${id}:${c.status}`);
    const t = await s.tasks.create(
      { title: "build", body: "it", createdBy: "alice", timeLimitSeconds: 60 },
      T0,
    );
    expect(t).toEqual({
      id: t.id,
      title: "build",
      body: "it",
      status: "open",
      timeLimitSeconds: 60,
      history: [{ status: "open", agentId: "alice", at: T0 }],
      createdAt: T0,
      updatedAt: T0,
    });
    await s.tasks.transition(
      t.id,
      { status: "in_progress", agentId: "bob", assignee: "bob", metadata: { k: 1 } },
      T0 + 1,
    );
    await s.tasks.transition(
      t.id,
      { status: "done", agentId: "bob", body: "ok", outcome: { summary: "done" } as never },
      T0 + 2,
    );
    const done = await s.tasks.get(t.id);
    expect(done).toMatchObject({
      status: "done",
      assignee: "bob",
      outcome: { summary: "done" },
      updatedAt: T0 + 2,
    });
    expect(done?.history).toEqual([
      { status: "open", agentId: "alice", at: T0 },
      { status: "in_progress", agentId: "bob", metadata: { k: 1 }, at: T0 + 1 },
      { status: "done", agentId: "bob", body: "ok", at: T0 + 2 },
    ]);
    expect(created).toEqual([t.id]);
    expect(moved).toEqual([`${t.id}:in_progress`, `${t.id}:done`]);
    expect(await s.tasks.get(999)).toBeUndefined();
  });

  test("tasks are listed by id with status, assignee and viewer filters; recent answers the newest", async () => {
    const s = await open();
    const a = await s.tasks.create({ title: "a", body: "", createdBy: "alice", assignee: "bob" }, T0);
    const b = await s.tasks.create({ title: "b", body: "", createdBy: "carol" }, T0);
    const c = await s.tasks.create({ title: "c", body: "", createdBy: "bob" }, T0);
    await s.tasks.transition(b.id, { status: "cancelled", agentId: "carol" }, T0 + 1);
    const titles = async (q: Parameters<typeof s.tasks.list>[0]) =>
      (await s.tasks.list(q)).map((t) => t.title);
    expect(await titles({ afterId: 0, limit: 10 })).toEqual(["a", "b", "c"]);
    expect(await titles({ afterId: a.id, limit: 1 })).toEqual(["b"]);
    expect(await titles({ status: "open", afterId: 0, limit: 10 })).toEqual(["a", "c"]);
    expect(await titles({ assignee: "bob", afterId: 0, limit: 10 })).toEqual(["a"]);
    expect(await titles({ viewer: "bob", afterId: 0, limit: 10 })).toEqual(["a", "c"]);
    expect((await s.tasks.recent(2)).map((t) => t.id)).toEqual([b.id, c.id]);
  });

  test("commands start pending, queue per resolved agent oldest first, and keep result and error", async () => {
    const s = await open();
    const base = {
      type: "restart",
      target: "runner-1",
      from: "alice",
      fromRole: "operator" as const,
      params: { x: 1 },
    };
    const one = await s.commands.create({ ...base, id: "c1", targetAgent: "bob" }, T0);
    await s.commands.create({ ...base, id: "c2", targetAgent: "bob" }, T0 + 1);
    await s.commands.create({ ...base, id: "c3", targetAgent: "carol" }, T0);
    expect(one).toEqual({ ...base, id: "c1", status: "pending", createdAt: T0, updatedAt: T0 });
    expect(await s.commands.get("c1")).toEqual({ command: one, targetAgent: "bob" });
    expect((await s.commands.pendingFor("bob")).map((c) => c.id)).toEqual(["c1", "c2"]);
    await s.commands.setStatus("c1", "running", undefined, undefined, T0 + 5);
    await s.commands.setStatus("c1", "succeeded", { ok: [1] }, undefined, T0 + 6);
    await s.commands.setStatus("c2", "failed", undefined, "boom", T0 + 7);
    expect((await s.commands.get("c1"))?.command).toMatchObject({
      status: "succeeded",
      result: { ok: [1] },
      updatedAt: T0 + 6,
    });
    expect((await s.commands.get("c2"))?.command).toMatchObject({ status: "failed", error: "boom" });
    expect(await s.commands.pendingFor("bob")).toEqual([]);
    expect(await s.commands.get("nope")).toBeUndefined();
  });
});
