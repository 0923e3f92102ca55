// The git side of an agent's worktree: where it goes, making it, and on stop removing it or saying why it stays.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join, relative } from "node:path";
import { CodedError } from "../util/errors.ts";

/** `LEASE_HELD`: another runner holds the worktree (the message names it); `WORKTREE_FAILED`: git or the relay failed. */
export class WorktreeError extends CodedError<"LEASE_HELD" | "WORKTREE_FAILED"> {
  constructor(code: "LEASE_HELD" | "WORKTREE_FAILED", message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "WorktreeError";
  }
}

/** Where an agent's worktree goes and what it is made from; computed before anything starts. */
export interface WorktreePlan {
  /** The top of the repository --cwd is in (real path). */
  repoRoot: string;
  /** `<worktrees root>/<repo name>-<hash of repoRoot>/<agent id>`; also the lease key. */
  path: string;
  branch: string;
  /** The provider's cwd: --cwd's place inside the worktree. */
  cwd: string;
}

/** What stop did with the worktree; also shown in the agent's meta and the stop log line. */
export type WorktreeOutcome =
  | { state: "removed"; path: string; branch: string; branchKept: boolean; commits: number }
  | { state: "kept"; path: string; branch: string; reason: string; changedFiles: number };

/** Default root of every agent worktree (dirs 0700: a checkout may hold secrets the agent wrote). */
export function defaultWorktreesRoot(): string {
  return join(homedir(), ".agent-relay", "worktrees");
}

function git(cwd: string, args: string[]): { ok: boolean; out: string; err: string } {
  // GIT_* from the runner's own environment (a hook's GIT_DIR, say) must not redirect these commands.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GIT_")));
  const r = spawnSync("git", ["-C", cwd, ...args], { encoding: "utf8", env, timeout: 60_000 });
  return {
    ok: r.status === 0,
    out: (r.stdout ?? "").trim(),
    err: (r.stderr ?? "").trim() || String(r.error ?? ""),
  };
}

function mustGit(cwd: string, args: string[], what: string): string {
  const r = git(cwd, args);
  if (!r.ok) throw new WorktreeError("WORKTREE_FAILED", `${what}: git ${args.join(" ")} failed: ${r.err}`);
  return r.out;
}

/** A branch name git accepts for an agent id (`:` and `..` are not allowed in refs). */
export function branchFor(agentId: string): string {
  return `agents/${agentId
    .replace(/:/g, "_")
    .replace(/\.\.+/g, "_")
    .replace(/^\./, "_")
    .replace(/\.lock$/, "_lock")}`;
}

/** Where the worktree for `agentId` of `cwd`'s repository goes; throws when cwd is not in a git repository. */
export function planWorktree(cwd: string, agentId: string, root = defaultWorktreesRoot()): WorktreePlan {
  const top = git(cwd, ["rev-parse", "--show-toplevel"]);
  if (!top.ok || top.out === "")
    throw new WorktreeError("WORKTREE_FAILED", `--worktree: ${cwd} is not inside a git repository`);
  const repoRoot = realpathSync(top.out);
  const hash = createHash("sha256").update(repoRoot).digest("hex").slice(0, 10);
  const path = join(root, `${basename(repoRoot)}-${hash}`, agentId.replace(/[^A-Za-z0-9._@-]/g, "_"));
  return {
    repoRoot,
    path,
    branch: branchFor(agentId),
    cwd: join(path, relative(repoRoot, realpathSync(cwd))),
  };
}

/**
 * Make the worktree (or reuse the one a previous runner of this agent left, uncommitted work and all): on branch
 * `plan.branch`, created from the repository's HEAD when it does not exist yet. Answers whether it was reused.
 */
export function ensureWorktree(plan: WorktreePlan): { reused: boolean } {
  if (existsSync(plan.path)) {
    const top = git(plan.path, ["rev-parse", "--show-toplevel"]);
    if (top.ok && realpathSync(top.out) === realpathSync(plan.path)) {
      mkdirSync(plan.cwd, { recursive: true, mode: 0o700 });
      return { reused: true };
    }
    throw new WorktreeError(
      "WORKTREE_FAILED",
      `--worktree: ${plan.path} exists but is not a git worktree; move it away`,
    );
  }
  const parent = join(plan.path, "..");
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  // A worktree directory deleted by hand leaves its registration behind; prune it so `add` can reuse the branch.
  git(plan.repoRoot, ["worktree", "prune"]);
  const exists = git(plan.repoRoot, ["rev-parse", "--verify", "--quiet", `refs/heads/${plan.branch}`]).ok;
  const args = exists
    ? ["worktree", "add", plan.path, plan.branch]
    : ["worktree", "add", "-b", plan.branch, plan.path, "HEAD"];
  mustGit(plan.repoRoot, args, "--worktree: could not create the agent's worktree");
  chmodSync(plan.path, 0o700);
  // --cwd may be a folder git does not track (empty, or ignored): the provider still starts there.
  mkdirSync(plan.cwd, { recursive: true, mode: 0o700 });
  return { reused: false };
}

/**
 * On stop: a worktree with uncommitted changes (untracked files included) stays, and so does its branch. A clean
 * one is removed; its branch goes too unless it holds commits no other branch has (the agent's committed work).
 */
export function finishWorktree(plan: WorktreePlan): WorktreeOutcome {
  const { path, branch } = plan;
  const status = git(path, ["status", "--porcelain"]);
  if (!status.ok)
    return { state: "kept", path, branch, reason: `git status failed: ${status.err}`, changedFiles: 0 };
  const changed = status.out === "" ? 0 : status.out.split("\n").length;
  if (changed > 0)
    return { state: "kept", path, branch, reason: "uncommitted changes", changedFiles: changed };
  mustGit(plan.repoRoot, ["worktree", "remove", path], "--worktree: could not remove the clean worktree");
  const own = git(plan.repoRoot, [
    "rev-list",
    "--count",
    `refs/heads/${branch}`,
    "--not",
    `--exclude=${branch}`,
    "--branches",
  ]);
  const commits = own.ok ? Number(own.out) : Number.NaN;
  // Unknown (git failed) counts as work to keep: deleting a branch is the one step here that can lose commits.
  if (commits === 0) {
    mustGit(plan.repoRoot, ["branch", "-D", branch], "--worktree: could not delete the agent's branch");
    return { state: "removed", path, branch, branchKept: false, commits: 0 };
  }
  return { state: "removed", path, branch, branchKept: true, commits: Number.isNaN(commits) ? -1 : commits };
}

export function isWorktreeError(e: unknown): e is WorktreeError {
  return e instanceof WorktreeError;
}
