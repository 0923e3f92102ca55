// Task outcomes end to end: real relay, real tmux, the command provider running a scripted agent (echo-agent with
// RUN: lines). Time limits interrupt the turn, a declared outcome reaches the creator, a stalled agent is nudged
// once then failed, changes match git, and a failed turn fails its task at once.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseShortstat } from "../../src/runner/task-changes.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { RUNNER_BIN, startTestRunner, stopTestRunners, type TestRunner } from "../support/runner.ts";
import { assignTask, waitForTaskEnd } from "../support/tasks.ts";
import { waitFor } from "../support/wait-for.ts";

setDefaultTimeout(60_000);

let relay: TestRelay;
let boss: string;
const dirs: string[] = [];
beforeAll(async () => {
  relay = await startTestRelay();
  boss = await relay.mintToken("boss");
});
afterAll(async () => {
  await relay.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(stopTestRunners);

const SCRIPTED = { ECHO_AGENT_RUN_LINES: "1", ECHO_AGENT_WORK_MS: "200" };

async function call(path: string, body?: unknown, method = "POST", token = boss) {
  const res = await relay.call(token, method, path, body);
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The boss creates a task for `agent` and sends it the linked message whose body is the agent's script. */
const assign = (agent: string, script: string[], timeLimitSeconds?: number) =>
  assignTask(relay, boss, { assignee: agent, body: script.join("\n"), timeLimitSeconds });

const getTask = (id: number) => call(`/v1/tasks/${id}`, undefined, "GET");

const ended = (id: number) => waitForTaskEnd(relay, id, 30_000);

function gitRepo(): { dir: string; git: (...args: string[]) => string } {
  const dir = mkdtempSync(join(tmpdir(), "outcome-repo-"));
  dirs.push(dir);
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", dir, "-c", "user.email=t@t", "-c", "user.name=t", ...args], {
      encoding: "utf8",
    });
  git("init", "-q");
  writeFileSync(join(dir, "notes.txt"), "alpha\nbeta\ngamma\n");
  writeFileSync(join(dir, "old.txt"), "to be removed\n");
  git("add", ".");
  git("commit", "-qm", "start");
  return { dir, git };
}

/** The inputs the scripted agent got that contain `text`. */
const inputsWith = (r: TestRunner, text: string) =>
  r.received().flatMap((e) => (e.event === "input" && e.text.includes(text) ? [e] : []));

describe("task outcomes (real relay, tmux, command provider)", () => {
  test("a time-limited task is interrupted (Ctrl-C) and fails `time limit`; the next task then runs and ends partial", async () => {
    const { dir } = gitRepo();
    const r = await startTestRunner({
      relay,
      agentId: "limited",
      fixtureEnv: SCRIPTED,
      extraArgs: ["--cwd", dir],
    });
    const idle = await assign("limited", ["RUN: sleep 30"], 2);
    const first = await ended(idle);
    expect(first.status).toBe("failed");
    expect(first.outcome).toMatchObject({ status: "failed", reason: "time limit" });
    expect(first.outcome.durationMs).toBeGreaterThanOrEqual(2_000);
    expect(first.outcome.durationMs).toBeLessThan(30_000);

    // The agent is free for the next task at once (its sleep was stopped, not waited out).
    const busy = await assign("limited", ["RUN: echo delta >> notes.txt", "RUN: sleep 30"], 2);
    const second = await ended(busy);
    expect(second.status).toBe("done");
    expect(second.outcome).toMatchObject({
      status: "partial",
      reason: "time limit",
      changes: { files: 1, insertions: 1, deletions: 0, commits: 0 },
    });
    // Each time limit interrupted a running command; neither sleep ran to its end.
    expect(r.received().filter((e) => e.event === "interrupted")).toHaveLength(2);
    // The creator heard of both, linked to each task.
    const notes = (await call("/v1/agents/boss/unread?limit=1000", undefined, "GET", relay.rootToken))
      .messages;
    const about = (id: number) =>
      notes.filter((m: { payload: { taskId?: number } }) => m.payload.taskId === id);
    expect(about(idle)[0]).toMatchObject({ kind: "task-outcome", from: "limited" });
    expect(about(busy)[0].body).toContain("Outcome: partial (time limit)");
  });

  test("a partial outcome the agent declares with a summary reaches the creator, linked to the task", async () => {
    const r = await startTestRunner({ relay, agentId: "declarer", fixtureEnv: SCRIPTED });
    const task = await call("/v1/tasks", { title: "port the parser", assignee: "declarer" });
    const script = `RUN: ${RUNNER_BIN} task partial ${task.id} --summary 'lexer ported' --reason 'parser left'`;
    await call("/v1/messages", { to: "declarer", kind: "task", body: script, payload: { taskId: task.id } });
    const done = await ended(task.id);
    expect(done.status).toBe("done");
    expect(done.outcome).toMatchObject({ status: "partial", summary: "lexer ported", reason: "parser left" });
    expect(done.history.at(-1)).toMatchObject({ status: "done", agentId: "declarer" });
    const note = await waitFor(
      async () =>
        (await call("/v1/agents/boss/unread?limit=1000", undefined, "GET", relay.rootToken)).messages.find(
          (m: { payload: { taskId?: number } }) => m.payload.taskId === task.id,
        ),
      { what: "the outcome note in the creator's inbox" },
    );
    expect(note).toMatchObject({ from: "declarer", to: "boss", kind: "task-outcome" });
    expect(note.body).toContain("Summary: lexer ported");
    expect(note.payload.outcome).toEqual(done.outcome);
    // The runner's own decision (complete, at the turn's end) did not overwrite it.
    await waitFor(() => !r.runner.work.has("task", String(task.id)), { what: "the task work item to end" });
    expect((await getTask(task.id)).outcome.status).toBe("partial");
  });

  test("explicit completion: a stalled agent is nudged once, then the task fails `stalled`", async () => {
    const r = await startTestRunner({
      relay,
      agentId: "staller",
      fixtureEnv: SCRIPTED,
      extraArgs: ["--task-completion", "explicit", "--stall-after", "2s"],
    });
    const id = await assign("staller", ["RUN: true"]);
    await waitFor(() => inputsWith(r, "RUN: true").length === 1, { what: "the task to arrive" });
    const t = await ended(id);
    expect(t.status).toBe("failed");
    expect(t.outcome).toMatchObject({ status: "failed", reason: "stalled" });
    expect(t.outcome.durationMs).toBeGreaterThanOrEqual(4_000);
    const nudges = inputsWith(r, `Task #${id} is still open`);
    expect(nudges).toHaveLength(1);
    expect(nudges[0]!.text).toContain(`task done ${id} --summary`);
  });

  test("explicit completion: the agent's report ends the task; it is not nudged", async () => {
    const r = await startTestRunner({
      relay,
      agentId: "reporter",
      fixtureEnv: SCRIPTED,
      extraArgs: ["--task-completion", "explicit", "--stall-after", "2s"],
    });
    const task = await call("/v1/tasks", { title: "quick", assignee: "reporter" });
    const script = `RUN: ${RUNNER_BIN} task done ${task.id} --summary 'all good'`;
    await call("/v1/messages", { to: "reporter", kind: "task", body: script, payload: { taskId: task.id } });
    expect((await ended(task.id)).outcome).toMatchObject({ status: "complete", summary: "all good" });
    await waitFor(() => !r.runner.work.has("task", String(task.id)), {
      what: "the runner to let the task go",
    });
    expect(inputsWith(r, "is still open")).toHaveLength(0);
  });

  test("a time limit that passes while the agent is idle (task unreported) sends no Ctrl-C to the program", async () => {
    const r = await startTestRunner({
      relay,
      agentId: "idle-limit",
      fixtureEnv: SCRIPTED,
      extraArgs: ["--task-completion", "explicit", "--stall-after", "1h"],
    });
    const id = await assign("idle-limit", ["RUN: true"], 2);
    const t = await ended(id);
    expect(t.outcome).toMatchObject({ status: "failed", reason: "time limit" });
    // Ctrl-C at the echo agent's idle prompt would have ended it (exit 130) and the runner restarted it.
    expect(r.received().filter((e) => e.event === "exit")).toEqual([]);
    expect(r.starts()).toHaveLength(1);
  });

  test("the changes of an outcome match git diff --stat and rev-list of the work done during the task", async () => {
    const { dir, git } = gitRepo();
    writeFileSync(join(dir, "scratch.txt"), "there before the task\n");
    const start = git("rev-parse", "HEAD").trim();
    await startTestRunner({ relay, agentId: "changer", fixtureEnv: SCRIPTED, extraArgs: ["--cwd", dir] });
    const id = await assign("changer", [
      "RUN: printf 'alpha\\nBETA\\ngamma\\ndelta\\n' > notes.txt",
      "RUN: printf 'one\\ntwo\\nthree\\n' > new.txt",
      "RUN: git rm -q old.txt",
      "RUN: git add notes.txt new.txt && git -c user.email=a@a -c user.name=a commit -qm 'task work'",
      "RUN: echo epsilon >> notes.txt",
      "RUN: git -c user.email=a@a -c user.name=a commit -qam 'more'",
    ]);
    const t = await ended(id);
    expect(t.outcome.status).toBe("complete");
    // What git says the branch gained since the task started (scratch.txt was there before: not counted).
    const stat = parseShortstat(git("diff", "--stat", start, "HEAD"));
    const commits = Number(git("rev-list", "--count", `${start}..HEAD`).trim());
    expect(stat).toEqual({ files: 3, insertions: 6, deletions: 2 });
    expect(t.outcome.changes).toEqual({ ...stat, commits });
    expect(commits).toBe(2);
  });

  test("a turn that fails (the program exits non-zero mid-task) fails the task at once with the reason", async () => {
    const r = await startTestRunner({ relay, agentId: "crasher", fixtureEnv: SCRIPTED });
    // A second of work (the runner sees the turn start), then the program dies with exit code 3.
    const id = await assign("crasher", ["RUN: sleep 1", "EXIT: 3"]);
    const t = await ended(id);
    expect(t.status).toBe("failed");
    expect(t.outcome).toMatchObject({ status: "failed", reason: "provider exited (exit code 3)" });
    // The runner restarted the provider (headless) and is free for the next task.
    await waitFor(() => r.starts().length === 2, { what: "the provider restart" });
    const next = await assign("crasher", ["RUN: true"]);
    expect((await ended(next)).outcome.status).toBe("complete");
  });
});
