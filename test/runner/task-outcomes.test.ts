// TaskTracker outcomes on a fake clock against the real test relay: time limits, turn failures, explicit
// completion with its nudge and stall, and a declared outcome winning over the runner's.
import { afterEach, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RelayHttpClient } from "../../src/relay-client/index.ts";
import { type TaskCompletion, TaskTracker } from "../../src/runner/task-tracker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestRelay } from "../support/relay.ts";
import { captureLogger } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const STALL_MS = 60_000;

type Totals = { inputTokens: number; outputTokens: number };

async function setup(
  o: { completion?: TaskCompletion; cwd?: string; usageTotals?: () => Promise<Totals> } = {},
) {
  const relay = await startTestRelay();
  cleanups.push(() => relay.close());
  const agentId = "to-agent";
  const http = new RelayHttpClient({ relayUrl: relay.url, token: await relay.mintToken(agentId) });
  const boss = new RelayHttpClient({ relayUrl: relay.url, token: await relay.mintToken("to-boss") });
  cleanups.push(
    () => http.close(),
    () => boss.close(),
  );
  const clock = new ManualClock();
  const interrupts: number[] = [];
  const nudges: string[] = [];
  const ended: number[] = [];
  const tracker = new TaskTracker({
    agentId: () => agentId,
    relay: http,
    logger: captureLogger().logger,
    clock,
    cwd: o.cwd,
    completion: o.completion ?? "auto",
    stallAfterMs: STALL_MS,
    usageTotals: o.usageTotals,
    interrupt: async () => {
      interrupts.push(clock.now());
    },
    nudge: async (text) => {
      nudges.push(text);
    },
    onEnd: (t) => ended.push(t),
  });
  const newTask = async (timeLimitSeconds?: number) => {
    const task = await boss.createTask({
      title: "t",
      assignee: agentId,
      ...(timeLimitSeconds ? { timeLimitSeconds } : {}),
    });
    await http.setTaskStatus(task.id, { status: "in_progress", agentId });
    return task.id;
  };
  const task = (id: number) => boss.getTask(id);
  return { clock, http, boss, tracker, interrupts, nudges, ended, newTask, task, agentId };
}

/** Move the fake clock on in small steps until `p` settles (its timers are armed as it goes). */
async function settle(clock: ManualClock, p: Promise<unknown>): Promise<void> {
  let done = false;
  void p.finally(() => {
    done = true;
  });
  await waitFor(async () => {
    await clock.advance(50);
    return done;
  });
  await p;
}

function gitRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "task-outcome-repo-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "pipe" });
  git("init", "-q");
  writeFileSync(join(dir, "a.txt"), "one\ntwo\n");
  git("add", ".");
  git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "start");
  return dir;
}

describe("task outcomes decided by the runner", () => {
  test("a turn that ends normally completes the task, timed by the clock", async () => {
    const s = await setup();
    const id = await s.newTask();
    s.tracker.track(id, 1, false, false);
    s.tracker.providerBusy();
    await s.clock.advance(42_000);
    await s.tracker.providerIdle();
    expect((await s.task(id)).outcome).toEqual({ status: "complete", durationMs: 42_000 });
  });

  test("the outcome's usage is what the conversation's token totals grew by during the task", async () => {
    let totals = { inputTokens: 1_000, outputTokens: 50 };
    const s = await setup({ usageTotals: async () => totals });
    const id = await s.newTask();
    await s.tracker.prepare(id);
    s.tracker.track(id, 1, false, true);
    totals = { inputTokens: 1_300, outputTokens: 80 };
    await s.tracker.providerIdle();
    expect((await s.task(id)).outcome?.usage).toEqual({ inputTokens: 300, outputTokens: 30 });
  });

  test("usage that shows only after the turn's end (Claude writes its transcript late) is waited for, within a bound", async () => {
    let totals = { inputTokens: 0, outputTokens: 0 };
    const s = await setup({ usageTotals: async () => totals });
    const [late, never] = [await s.newTask(), await s.newTask()];
    const start = s.clock.now();
    await s.tracker.prepare(late);
    s.tracker.track(late, 1, false, true);
    const first = s.tracker.providerIdle();
    await s.clock.advance(500);
    totals = { inputTokens: 100, outputTokens: 10 };
    await settle(s.clock, first);
    expect((await s.task(late)).outcome?.usage).toEqual({ inputTokens: 100, outputTokens: 10 });
    expect(s.clock.now() - start, "no longer than it took to show").toBeLessThan(2_000);
    // Totals that never grow: after 2 s the task ends with what there is, not waiting forever.
    s.tracker.track(never, 2, false, true);
    await settle(s.clock, s.tracker.providerIdle());
    expect((await s.task(never)).outcome).toMatchObject({
      status: "complete",
      usage: { inputTokens: 0, outputTokens: 0 },
    });
  });

  test("a failed turn fails its task at once with the provider's reason", async () => {
    const s = await setup();
    const id = await s.newTask();
    s.tracker.track(id, 1, false, true);
    await s.tracker.providerFailed("API Error: 429 rate_limit_error");
    const t = await s.task(id);
    expect(t.status).toBe("failed");
    expect(t.outcome).toMatchObject({ status: "failed", reason: "API Error: 429 rate_limit_error" });
    expect(s.ended).toEqual([id]);
  });

  test("past its time limit the turn is interrupted and a task that changed nothing fails with reason `time limit`", async () => {
    const s = await setup();
    const id = await s.newTask(30);
    s.tracker.track(id, 1, false, true, 30);
    await s.clock.advance(29_999);
    expect(s.interrupts).toEqual([]);
    await s.clock.advance(1);
    await waitFor(() => s.ended.includes(id), { what: "the task to end" });
    expect(s.interrupts).toHaveLength(1);
    expect((await s.task(id)).outcome).toEqual({
      status: "failed",
      reason: "time limit",
      durationMs: 30_000,
    });
  });

  test("past its time limit a task whose workspace changed ends partial, with the changes", async () => {
    const dir = gitRepo();
    const s = await setup({ cwd: dir });
    const id = await s.newTask(10);
    // As at delivery: the start snapshot is taken before the agent sees the task.
    await s.tracker.prepare(id);
    s.tracker.track(id, 1, false, true, 10);
    writeFileSync(join(dir, "a.txt"), "one\n2\nthree\n");
    await s.clock.advance(10_000);
    await waitFor(() => s.ended.includes(id), { what: "the task to end" });
    const t = await s.task(id);
    expect(t.status).toBe("done");
    expect(t.outcome).toMatchObject({
      status: "partial",
      reason: "time limit",
      changes: { files: 1, insertions: 2, deletions: 1, commits: 0 },
    });
  });

  test("an outcome the agent declared during the turn wins over the runner's complete", async () => {
    const s = await setup();
    const id = await s.newTask();
    s.tracker.track(id, 1, false, true);
    await s.http.setTaskStatus(id, {
      status: "done",
      agentId: s.agentId,
      outcome: { status: "partial", summary: "half" },
    });
    await s.tracker.providerIdle();
    expect((await s.task(id)).outcome).toMatchObject({ status: "partial", summary: "half" });
    expect(s.tracker.has(id)).toBe(false);
  });
});

describe("explicit completion", () => {
  test("the task stays in progress after the turn; idle for stall-after → one nudge; that long again → failed `stalled`", async () => {
    const s = await setup({ completion: "explicit" });
    const id = await s.newTask();
    s.tracker.track(id, 1, false, true);
    await s.tracker.providerIdle();
    expect((await s.task(id)).status).toBe("in_progress");
    await s.clock.advance(STALL_MS - 1);
    expect(s.nudges).toEqual([]);
    await s.clock.advance(1);
    await waitFor(() => s.nudges.length === 1, { what: "the nudge" });
    expect(s.nudges[0]).toContain(`Task #${id} is still open`);
    expect(s.nudges[0]).toContain(`"$AGENT_RELAY_BIN" task done ${id} --summary`);
    // The nudge started a turn that reported nothing.
    s.tracker.providerBusy();
    await s.clock.advance(STALL_MS * 5);
    expect((await s.task(id)).status, "no stall while the agent works").toBe("in_progress");
    await s.tracker.providerIdle();
    await s.clock.advance(STALL_MS);
    await waitFor(() => s.ended.includes(id), { what: "the stalled task to end" });
    expect(s.nudges).toHaveLength(1);
    const t = await s.task(id);
    expect(t.status).toBe("failed");
    expect(t.outcome).toMatchObject({ status: "failed", reason: "stalled" });
  });

  test("a task the agent reported is let go at the next idle, its declared outcome kept", async () => {
    const s = await setup({ completion: "explicit" });
    const id = await s.newTask();
    s.tracker.track(id, 1, false, true);
    await s.http.setTaskStatus(id, {
      status: "done",
      agentId: s.agentId,
      outcome: { status: "complete", summary: "ok" },
    });
    await s.tracker.providerIdle();
    expect(s.ended).toEqual([id]);
    await s.clock.advance(STALL_MS * 3);
    expect(s.nudges).toEqual([]);
    expect((await s.task(id)).outcome).toMatchObject({ status: "complete", summary: "ok" });
  });
});
