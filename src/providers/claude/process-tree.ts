// Finds and ends a process and everything it started: Claude's monitor and hook children are known to outlive it.
import type { Clock } from "../../util/clock.ts";
import { descendantsIn, isProcessRunning, listProcesses, terminateProcesses } from "../../util/processes.ts";

/** pid → parent pid of every running process, from one look at /proc. */
export async function parentMap(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for (const p of await listProcesses()) if (!p.zombie) parents.set(p.pid, p.ppid);
  return parents;
}

/**
 * Which of `remembered` (a tree seen earlier) are still ours: running, and re-parented to init or still under a
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

/** `pid` and all its running descendants, parents first. Empty when `pid` is gone. */
export async function processTree(pid: number): Promise<number[]> {
  const table = await listProcesses();
  // A root that exited unreaped still anchors children that may be running.
  if (!table.some((p) => p.pid === pid)) return [];
  return [pid, ...descendantsIn(table, pid).map((p) => p.pid)];
}

/** Whether `pid` still runs (a zombie counts as gone). */
export const isAlive = isProcessRunning;

/** SIGTERM every pid, then SIGKILL the ones still running after `graceMs`; resolves when all are gone (or 2 s later). */
export async function terminateAll(pids: number[], clock: Clock, graceMs = 2_000): Promise<void> {
  await terminateProcesses(
    pids.map((pid) => ({ pid })),
    clock,
    { graceMs },
  );
}
