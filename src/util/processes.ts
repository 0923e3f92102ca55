// Finds, signals and ends processes by reading Linux /proc: no child process per look, and a zombie counts as gone.
import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { type Clock, sleep } from "./clock.ts";

/** One process as /proc/<pid>/stat shows it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Exited but not reaped (in containers init may never reap re-parented children); it runs nothing. */
  zombie: boolean;
}

/** A process to end; with `pgid`, the whole group is signalled, reaching helpers that were re-parented. */
export interface ProcessRef {
  pid: number;
  pgid?: number;
}

/** Thrown where there is no /proc to read: these helpers are Linux only, and say so rather than guess. */
export class ProcessesUnsupportedError extends Error {
  readonly code = "PROCESSES_UNSUPPORTED";
  constructor() {
    super(`process listing reads /proc, which ${process.platform} does not have (Linux only)`);
    this.name = "ProcessesUnsupportedError";
  }
}

const POLL_MS = 25;
let procChecked = false;

function assertProc(): void {
  if (procChecked) return;
  if (!existsSync("/proc/self/stat")) throw new ProcessesUnsupportedError();
  procChecked = true;
}

/**
 * The fields of /proc/<pid>/stat from field 3 (state) on: `fields[0]` is field 3, `fields[n]` is field n + 3.
 * comm (field 2) may hold spaces or parentheses, so the split starts after the last ")".
 */
export function parseStat(stat: string): string[] {
  return stat
    .slice(stat.lastIndexOf(")") + 2)
    .trimEnd()
    .split(" ");
}

function toInfo(pid: number, stat: string): ProcessInfo | undefined {
  const fields = parseStat(stat);
  const ppid = Number(fields[1]);
  const pgid = Number(fields[2]);
  if (!Number.isInteger(ppid) || !Number.isInteger(pgid)) return undefined;
  return { pid, ppid, pgid, zombie: fields[0] === "Z" || fields[0] === "X" };
}

/** /proc/<pid>/stat's text, or undefined when there is no such process. */
export function readStat(pid: number): string | undefined {
  assertProc();
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
}

/** One process, or undefined when there is none with that pid. */
export function processInfo(pid: number): ProcessInfo | undefined {
  const stat = readStat(pid);
  return stat === undefined ? undefined : toInfo(pid, stat);
}

/** Whether `pid` runs: it exists and is not a zombie. */
export function isProcessRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const info = processInfo(pid);
  return info !== undefined && !info.zombie;
}

/** Every process on the machine, zombies included (marked), from one pass over /proc. */
export async function listProcesses(): Promise<ProcessInfo[]> {
  assertProc();
  const pids = (await readdir("/proc")).filter((e) => /^\d+$/.test(e)).map(Number);
  const stats = await Promise.all(
    pids.map((pid) => readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined)),
  );
  const out: ProcessInfo[] = [];
  stats.forEach((stat, i) => {
    const info = stat === undefined ? undefined : toInfo(pids[i] as number, stat);
    if (info) out.push(info);
  });
  return out;
}

/** Every running process below `root`, parents first. A zombie is skipped but its children are still followed. */
export function descendantsIn(table: readonly ProcessInfo[], root: number): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found: ProcessInfo[] = [];
  const queue = [root];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      if (!child.zombie) found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** Every running process below `root`, parents first. */
export async function listDescendants(root: number): Promise<ProcessInfo[]> {
  return descendantsIn(await listProcesses(), root);
}

/** Live processes whose environment has `name=value` (other users' processes are unreadable and skipped). */
export async function findProcessesWithEnv(name: string, value: string): Promise<ProcessRef[]> {
  assertProc();
  const needle = `\0${name}=${value}\0`;
  const found: ProcessRef[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = await readFile(`/proc/${entry}/environ`, "latin1").catch(() => "");
    if (`\0${environ}`.includes(needle) && isProcessRunning(Number(entry)))
      found.push({ pid: Number(entry) });
  }
  return found;
}

/** process.kill without the throw: false when there is no such process (or no right to signal it). */
export function signalQuietly(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** The groups of `refs` that are safe to signal: never init's, never our own (that would end us too). */
function groupsOf(refs: readonly ProcessRef[]): Set<number> {
  const own = processInfo(process.pid)?.pgid;
  return new Set(
    refs
      .map((r) => r.pgid)
      .filter((g): g is number => g !== undefined && g > 1 && g !== own && g !== process.pid),
  );
}

/** Whether anything of `pids` or `groups` still runs. */
async function anyRunning(pids: ReadonlySet<number>, groups: ReadonlySet<number>): Promise<boolean> {
  for (const pid of pids) if (isProcessRunning(pid)) return true;
  if (groups.size === 0) return false;
  return (await listProcesses()).some((p) => !p.zombie && groups.has(p.pgid));
}

/** Wait up to `ms` until nothing of `refs` (their groups included) runs; true when that happened. */
export async function waitForGone(refs: readonly ProcessRef[], ms: number, clock: Clock): Promise<boolean> {
  const pids = new Set(refs.map((r) => r.pid));
  const groups = groupsOf(refs);
  const deadline = clock.now() + ms;
  while (await anyRunning(pids, groups)) {
    if (clock.now() >= deadline) return false;
    await sleep(clock, POLL_MS);
  }
  return true;
}

export interface TerminateOptions {
  /** How long SIGTERM has before SIGKILL; default 2 s. */
  graceMs?: number;
  /** How long to wait for the SIGKILLed to go; default 2 s. */
  killWaitMs?: number;
}

/**
 * End `refs` and their groups: SIGTERM, SIGKILL whatever still runs after `graceMs`, then wait for it to go.
 * Resolves true when nothing is left, false if something survived even SIGKILL within `killWaitMs`.
 */
export async function terminateProcesses(
  refs: readonly ProcessRef[],
  clock: Clock,
  options: TerminateOptions = {},
): Promise<boolean> {
  const { graceMs = 2_000, killWaitMs = 2_000 } = options;
  const groups = groupsOf(refs);
  const signalAll = (sig: NodeJS.Signals) => {
    for (const g of groups) signalQuietly(-g, sig);
    for (const r of refs) signalQuietly(r.pid, sig);
  };
  if (await waitForGone(refs, 0, clock)) return true;
  signalAll("SIGTERM");
  if (await waitForGone(refs, graceMs, clock)) return true;
  signalAll("SIGKILL");
  return waitForGone(refs, killWaitMs, clock);
}
