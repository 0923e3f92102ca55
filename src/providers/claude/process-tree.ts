// Finds and ends a process and everything it started: Claude's monitor and hook children are known to outlive it.
import { execa } from "execa";
import { type Clock, sleep } from "../../util/clock.ts";

/** pid → parent pid of every process, from one `ps` snapshot. */
export async function parentMap(): Promise<Map<number, number>> {
  const { stdout } = await execa("ps", ["-A", "-o", "pid=,ppid="], { reject: false, timeout: 5_000 });
  const parents = new Map<number, number>();
  for (const line of stdout.split("\n")) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (p && pp !== undefined && !Number.isNaN(pp)) parents.set(p, pp);
  }
  return parents;
}

/**
 * Which of `remembered` (a tree seen earlier) are still ours: alive, and re-parented to init or still under a
 * remembered parent — a recycled pid under some other parent is left alone.
 */
export async function survivors(remembered: number[]): Promise<number[]> {
  const parents = await parentMap();
  const set = new Set(remembered);
  return remembered.filter((p) => {
    const pp = parents.get(p);
    return pp !== undefined && (pp === 1 || set.has(pp));
  });
}

/** `pid` and all its descendants (from one `ps` snapshot), parents first. Empty when `pid` is gone. */
export async function processTree(pid: number): Promise<number[]> {
  const parents = await parentMap();
  const children = new Map<number, number[]>();
  for (const [p, pp] of parents) {
    const list = children.get(pp) ?? [];
    list.push(p);
    children.set(pp, list);
  }
  if (!parents.has(pid)) return [];
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // Already gone.
    }
  }
}

/** SIGTERM every pid, then SIGKILL the ones still alive after `graceMs`; resolves when all are gone (or 2 s later). */
export async function terminateAll(pids: number[], clock: Clock, graceMs = 2_000): Promise<void> {
  const live = () => pids.filter(isAlive);
  if (live().length === 0) return;
  signal(live(), "SIGTERM");
  for (let waited = 0; waited < graceMs && live().length > 0; waited += 50) await sleep(clock, 50);
  signal(live(), "SIGKILL");
  for (let waited = 0; waited < 2_000 && live().length > 0; waited += 50) await sleep(clock, 50);
}
