// Finds and ends the processes Codex leaves behind (shells in their own sessions, their orphaned helpers).
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { type Clock, sleep } from "../../util/clock.ts";

export interface ProcessRef {
  pid: number;
  /** Set when known: the whole group is signalled, reaching helpers that were re-parented. */
  pgid?: number;
}

export function signalQuietly(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `root` in the process tree, with its group (via `ps`, which Linux and macOS both have). */
export async function listDescendants(root: number): Promise<ProcessRef[]> {
  const output = await new Promise<string>((resolve) => {
    execFile("ps", ["-A", "-o", "pid=,ppid=,pgid="], { timeout: 2_000 }, (error, stdout) =>
      resolve(error ? "" : stdout),
    );
  });
  const children = new Map<number, ProcessRef[]>();
  for (const line of output.split("\n")) {
    const [pid, ppid, pgid] = line.trim().split(/\s+/).map(Number);
    if (!pid || ppid === undefined || Number.isNaN(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), { pid, pgid }]);
  }
  const found: ProcessRef[] = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const child of children.get(stack.pop() as number) ?? []) {
      found.push(child);
      stack.push(child.pid);
    }
  }
  return found;
}

/** Live processes whose environment has `name=value` (Linux /proc; elsewhere none are found). */
export async function findProcessesWithEnv(name: string, value: string): Promise<ProcessRef[]> {
  const needle = `\0${name}=${value}\0`;
  const entries = await readdir("/proc").catch(() => [] as string[]);
  const found: ProcessRef[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = await readFile(`/proc/${entry}/environ`, "latin1").catch(() => "");
    if (`\0${environ}`.includes(needle)) found.push({ pid: Number(entry) });
  }
  return found;
}

/** SIGTERM each process (and its group), SIGKILL whatever is left after `graceMs`. Never touches our own group. */
export async function terminateProcesses(refs: ProcessRef[], graceMs: number, clock: Clock): Promise<void> {
  const ownGroup = process.pid;
  const groups = new Set(
    refs.map((r) => r.pgid).filter((g): g is number => g !== undefined && g > 1 && g !== ownGroup),
  );
  const signalAll = (sig: NodeJS.Signals) => {
    for (const g of groups) signalQuietly(-g, sig);
    for (const r of refs) signalQuietly(r.pid, sig);
  };
  const alive = () =>
    refs.some((r) => signalQuietly(r.pid, 0)) || [...groups].some((g) => signalQuietly(-g, 0));
  if (!alive()) return;
  signalAll("SIGTERM");
  for (let waited = 0; waited < graceMs && alive(); waited += 50) await sleep(clock, 50);
  signalAll("SIGKILL");
}
