// --worktree with the real relay, real git and real tmux (command provider, echo-agent fixture): the agent works in
// its own leased worktree; a second runner of the agent is refused; on stop a clean worktree goes and a dirty one
// stays (reported); a dead runner's lease expires.
import { afterEach, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Lease } from "../../src/protocol/index.ts";
import { planWorktree } from "../../src/runner/worktree-git.ts";
import { echoAgentCommand, readEchoRecord } from "../fixtures/echo-agent-record.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { startTestRunner, stopTestRunners } from "../support/runner.ts";
import { cleanupCommandClis, spawnCommandCli } from "../support/runner-cli.ts";
import { waitFor } from "../support/wait-for.ts";

const relays: TestRelay[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await cleanupCommandClis();
  await stopTestRunners();
  for (const r of relays.splice(0)) await r.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", ["-C", cwd, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A repository with one commit, in a fresh temp folder. */
function makeRepo(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "relay-wt-repo-")));
  dirs.push(dir);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "t@example.com");
  git(dir, "config", "user.name", "t");
  writeFileSync(join(dir, "README.md"), "hello\n");
  git(dir, "add", "README.md");
  git(dir, "commit", "-qm", "first");
  return dir;
}

async function relay(quotas: { leaseTtlMs?: number } = {}): Promise<TestRelay> {
  const r = await startTestRelay({ quotas });
  relays.push(r);
  return r;
}

const leases = async (r: TestRelay) =>
  (await r.call(r.rootToken, "GET", "/v1/leases")).body.leases as Lease[];

/** The echo-agent fixture, after writing an uncommitted file in its cwd (a scripted agent that did some work). */
function draftingAgent(): string[] {
  const [bun, script] = echoAgentCommand();
  return ["/bin/sh", "-c", `echo draft > notes.txt && exec "${bun}" "${script}"`];
}

describe("--worktree", () => {
  test("the agent works in its own worktree; a second runner of the agent is refused, naming the holder", async () => {
    const r = await relay();
    const repo = makeRepo();
    const a = spawnCommandCli({
      agentId: "wt",
      relayUrl: r.url,
      token: r.rootToken,
      cwd: repo,
      extraArgs: ["--worktree"],
    });
    await a.up();
    const path = planWorktree(repo, "wt", join(a.home, ".agent-relay", "worktrees")).path;
    const start = readEchoRecord(a.record).find((e) => e.event === "start");
    expect(start && "cwd" in start ? start.cwd : undefined).toBe(path);
    expect(git(path, "rev-parse", "--abbrev-ref", "HEAD")).toBe("agents/wt");
    expect(statSync(path).mode & 0o777).toBe(0o700);
    const held = await leases(r);
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ key: path, agentId: "wt" });

    const b = spawnCommandCli({
      agentId: "wt",
      runnerId: "cli-wt-second",
      home: a.home,
      relayUrl: r.url,
      token: r.rootToken,
      cwd: repo,
      extraArgs: ["--worktree"],
    });
    expect(await b.runner.exited, b.runner.stderr()).toBe(1);
    const said = b.runner
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("agent-relay-runner: "));
    // On one machine the one-runner-per-agent rule answers first (before the lease is asked for), naming the holder.
    expect(said.at(-1)).toBe(
      `agent-relay-runner: agent wt already runs on this machine (runner pid ${a.runner.proc.pid}); ` +
        "stop it first (agent-relay-runner stop wt) or pick another --agent-id",
    );
    // The first runner keeps its worktree and its lease.
    expect(a.runner.proc.exitCode).toBeNull();
    expect(await leases(r)).toEqual(held);
  }, 60_000);

  test("on stop a clean worktree is removed with its branch, and the lease released", async () => {
    const r = await relay();
    const repo = makeRepo();
    const c = spawnCommandCli({
      agentId: "clean",
      relayUrl: r.url,
      token: r.rootToken,
      cwd: repo,
      extraArgs: ["--worktree"],
      env: { AGENT_RELAY_LOG_LEVEL: "info" },
    });
    await c.up();
    const path = planWorktree(repo, "clean", join(c.home, ".agent-relay", "worktrees")).path;
    expect(existsSync(path)).toBe(true);
    c.runner.proc.kill("SIGTERM");
    expect(await c.runner.exited, c.runner.stderr()).toBe(0);
    expect(existsSync(path)).toBe(false);
    expect(git(repo, "worktree", "list")).not.toContain(path);
    expect(git(repo, "branch", "--list", "agents/clean")).toBe("");
    expect(c.runner.stderr()).toContain("worktree removed");
    expect(await leases(r)).toEqual([]);
  }, 60_000);

  test("a branch with commits of its own is kept when its clean worktree is removed", async () => {
    const r = await relay();
    const repo = makeRepo();
    const [bun, script] = echoAgentCommand();
    const committing = [
      "/bin/sh",
      "-c",
      `echo x > work.txt && git add work.txt && git -c user.name=a -c user.email=a@x commit -qm work && exec "${bun}" "${script}"`,
    ];
    const c = spawnCommandCli({
      agentId: "committer",
      relayUrl: r.url,
      token: r.rootToken,
      cwd: repo,
      extraArgs: ["--worktree"],
      command: committing,
    });
    await c.up();
    c.runner.proc.kill("SIGTERM");
    expect(await c.runner.exited, c.runner.stderr()).toBe(0);
    expect(existsSync(planWorktree(repo, "committer", join(c.home, ".agent-relay", "worktrees")).path)).toBe(
      false,
    );
    expect(git(repo, "log", "--format=%s", "agents/committer")).toBe("work\nfirst");
  }, 60_000);

  test("a worktree with uncommitted work is kept on stop, reported in the stop log line, and reused by the next runner", async () => {
    const r = await relay();
    const repo = makeRepo();
    const c = spawnCommandCli({
      agentId: "dirty",
      relayUrl: r.url,
      token: r.rootToken,
      cwd: repo,
      extraArgs: ["--worktree"],
      command: draftingAgent(),
    });
    await c.up();
    const path = planWorktree(repo, "dirty", join(c.home, ".agent-relay", "worktrees")).path;
    c.runner.proc.kill("SIGTERM");
    expect(await c.runner.exited, c.runner.stderr()).toBe(0);
    expect(c.runner.stderr()).toContain(`worktree kept: uncommitted changes (1 files) in ${path}`);
    expect(existsSync(join(path, "notes.txt"))).toBe(true);
    expect(git(repo, "branch", "--list", "agents/dirty")).toContain("agents/dirty");
    expect(await leases(r)).toEqual([]);

    // The agent's next runner takes its worktree back, uncommitted work and all.
    const again = spawnCommandCli({
      agentId: "dirty",
      home: c.home,
      relayUrl: r.url,
      token: r.rootToken,
      cwd: repo,
      extraArgs: ["--worktree"],
    });
    await again.up();
    expect(git(path, "status", "--porcelain")).toBe("?? notes.txt");
    expect((await leases(r))[0]).toMatchObject({ key: path, agentId: "dirty" });
  }, 60_000);

  test("the kept worktree is in the agent's meta after a stop that keeps the agent registered", async () => {
    const r = await relay();
    const repo = makeRepo();
    const root = mkdtempSync(join(tmpdir(), "relay-wt-root-"));
    dirs.push(root);
    const plan = planWorktree(repo, "meta", root);
    const t = await startTestRunner({ relay: r, agentId: "meta", worktree: plan });
    const meta = async () => (await r.call(r.rootToken, "GET", "/v1/agents/meta")).body.meta.worktree;
    await waitFor(async () => (await meta())?.state === "active", { what: "worktree active in meta" });
    expect(await meta()).toEqual({ state: "active", path: plan.path, branch: "agents/meta" });
    writeFileSync(join(plan.path, "draft.txt"), "unfinished\n");
    await t.runner.stop({ reason: "test", deregister: false });
    expect(await meta()).toEqual({
      state: "kept",
      path: plan.path,
      branch: "agents/meta",
      reason: "uncommitted changes",
      changedFiles: 1,
    });
    expect(t.runner.workspace).toBe(plan.path);
  }, 60_000);

  test("the lease of a runner killed with SIGKILL expires after the TTL, and the next runner takes the worktree", async () => {
    const r = await relay({ leaseTtlMs: 1_500 });
    const repo = makeRepo();
    const c = spawnCommandCli({
      agentId: "doomed",
      relayUrl: r.url,
      token: r.rootToken,
      cwd: repo,
      extraArgs: ["--worktree"],
    });
    await c.up();
    const [lease] = await leases(r);
    // Renewed by the relay while the runner's session is open, past its first expiry.
    await waitFor(async () => ((await leases(r))[0]?.renewedAt ?? 0) > lease!.acquiredAt, {
      what: "the lease renewed",
      timeoutMs: 10_000,
    });
    const bob = await r.mintToken("bob");
    const grab = () =>
      r.call(bob, "POST", "/v1/leases", { key: lease!.key, agentId: "bob", instanceId: "b1" });
    expect((await grab()).status).toBe(409);
    await c.runner.kill();
    await waitFor(async () => (await leases(r)).length === 0, {
      what: "the dead runner's lease expired",
      timeoutMs: 10_000,
    });
    expect((await grab()).status).toBe(200);
  }, 60_000);

  test("--workspace still refuses a --cwd that escapes it, with --worktree", async () => {
    const r = await relay();
    const repo = makeRepo();
    const c = spawnCommandCli({
      agentId: "escape",
      relayUrl: r.url,
      token: r.rootToken,
      cwd: "..",
      extraArgs: ["--worktree", "--workspace", repo],
    });
    expect(await c.runner.exited).toBe(2);
    expect(c.runner.stderr()).toContain("--cwd");
    expect(c.runner.stderr()).toContain("escapes");
    expect(await leases(r)).toEqual([]);
  }, 30_000);
});
