// What a task's workspace gained, from git: a snapshot at the task's start, compared with the workspace at its end.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TaskChanges } from "../protocol/index.ts";

/** The workspace when a task started: its HEAD commit (none in a repository without commits) and its whole tree. */
export interface WorkspaceSnapshot {
  head: string | undefined;
  /** A tree object of every tracked and untracked (not ignored) file as it was, written without touching the index. */
  tree: string;
}

/** Longest any one git command may take; a hung git must not hold a task open. */
const GIT_TIMEOUT_MS = 30_000;

/** The workspace of `cwd` as a snapshot; undefined when `cwd` is not inside a git work tree or git fails. */
export async function snapshotWorkspace(cwd: string): Promise<WorkspaceSnapshot | undefined> {
  try {
    if ((await git(cwd, ["rev-parse", "--is-inside-work-tree"])).trim() !== "true") return undefined;
    const head = (await git(cwd, ["rev-parse", "--verify", "--quiet", "HEAD"], true)).trim() || undefined;
    return { head, tree: await workingTree(cwd) };
  } catch {
    return undefined;
  }
}

/**
 * Files, insertions and deletions between the start snapshot and the workspace now (committed or not, untracked
 * files included, as `git diff --shortstat` counts them), and the commits added on top of the start's HEAD.
 */
export async function measureChanges(
  cwd: string,
  start: WorkspaceSnapshot,
): Promise<TaskChanges | undefined> {
  try {
    const now = await workingTree(cwd);
    const stat = parseShortstat(await git(cwd, ["diff", "--shortstat", start.tree, now]));
    const range = start.head ? `${start.head}..HEAD` : "HEAD";
    const head = (await git(cwd, ["rev-parse", "--verify", "--quiet", "HEAD"], true)).trim();
    const commits = head ? Number((await git(cwd, ["rev-list", "--count", range])).trim()) : 0;
    return { ...stat, commits };
  } catch {
    return undefined;
  }
}

/** ` 3 files changed, 10 insertions(+), 2 deletions(-)` → counts (each part may be missing). */
export function parseShortstat(text: string): Omit<TaskChanges, "commits"> {
  const count = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return {
    files: count(/(\d+) files? changed/),
    insertions: count(/(\d+) insertions?\(\+\)/),
    deletions: count(/(\d+) deletions?\(-\)/),
  };
}

/** True when anything changed: a file differs or a commit was made. */
export function hasChanges(c: TaskChanges | undefined): boolean {
  return c !== undefined && (c.files > 0 || c.commits > 0);
}

/**
 * The work tree as a tree object, through a private copy of the index (`git add -A` into it, then `write-tree`),
 * so the agent's own index and staging are never touched. The copy keeps git's stat cache: only changed files are read.
 */
async function workingTree(cwd: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "agent-relay-index-"));
  try {
    const index = join(dir, "index");
    const real = (await git(cwd, ["rev-parse", "--path-format=absolute", "--git-path", "index"])).trim();
    if (existsSync(real)) copyFileSync(real, index);
    const env = { GIT_INDEX_FILE: index };
    // ":/" is the whole work tree, wherever in it the cwd is.
    await git(cwd, ["add", "-A", "--", ":/"], false, env);
    return (await git(cwd, ["write-tree"], false, env)).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function git(
  cwd: string,
  args: string[],
  allowFailure = false,
  env: Record<string, string> = {},
): Promise<string> {
  const proc = Bun.spawn(["git", "-C", cwd, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env, GIT_OPTIONAL_LOCKS: "0" },
    timeout: GIT_TIMEOUT_MS,
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0 && !allowFailure)
    throw new Error(`git ${args[0]} failed (${code}): ${err.trim().slice(0, 200)}`);
  return code === 0 ? out : "";
}
