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

interface PsRow {
  pid: number;
  ppid: number;
  pgid: number;
  /** Exited but not reaped (in containers init may never reap re-parented children). */
  zombie: boolean;
}

/** Every process on the machine (via `ps`, which Linux and macOS both have); empty when ps fails. */
async function listProcesses(): Promise<PsRow[]> {
  const output = await new Promise<string>((resolve) => {
    execFile("ps", ["-A", "-o", "pid=,ppid=,pgid=,stat="], { timeout: 2_000 }, (error, stdout) =>
      resolve(error ? "" : stdout),
    );
  });
  const rows: PsRow[] = [];
  for (const line of output.split("\n")) {
    const [pid, ppid, pgid, stat] = line.trim().split(/\s+/);
    if (!pid || !ppid || !pgid) continue;
    rows.push({
      pid: Number(pid),
      ppid: Number(ppid),
      pgid: Number(pgid),
      zombie: stat?.startsWith("Z") ?? false,
    });
  }
  return rows;
}

/** Every live process below `root` in the process tree, with its group. */
export async function listDescendants(root: number): Promise<ProcessRef[]> {
  const children = new Map<number, PsRow[]>();
  for (const row of await listProcesses()) children.set(row.ppid, [...(children.get(row.ppid) ?? []), row]);
  const found: ProcessRef[] = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const child of children.get(stack.pop() as number) ?? []) {
      if (!child.zombie) found.push({ pid: child.pid, pgid: child.pgid });
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
  const groups = new Set(
    refs.map((r) => r.pgid).filter((g): g is number => g !== undefined && g > 1 && g !== process.pid),
  );
  const pids = new Set(refs.map((r) => r.pid));
  const signalAll = (sig: NodeJS.Signals) => {
    for (const g of groups) signalQuietly(-g, sig);
    for (const pid of pids) signalQuietly(pid, sig);
  };
  // Zombies count as gone: they hold no resources but a pid, and only their parent can clear them.
  const alive = async () =>
    (await listProcesses()).some((p) => !p.zombie && (pids.has(p.pid) || groups.has(p.pgid)));
  if (!(await alive())) return;
  signalAll("SIGTERM");
  for (let waited = 0; waited < graceMs && (await alive()); waited += 50) await sleep(clock, 50);
  signalAll("SIGKILL");
}
