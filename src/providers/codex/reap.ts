// Finds and ends the processes Codex leaves behind (shells in their own sessions, their orphaned helpers).
import type { Clock } from "../../util/clock.ts";
import * as processes from "../../util/processes.ts";

export type { ProcessRef } from "../../util/processes.ts";
export { findProcessesWithEnv, signalQuietly } from "../../util/processes.ts";

/** Every running process below `root` in the process tree, with its group. */
export async function listDescendants(root: number): Promise<processes.ProcessRef[]> {
  return (await processes.listDescendants(root)).map(({ pid, pgid }) => ({ pid, pgid }));
}

/** SIGTERM each process (and its group), SIGKILL whatever is left after `graceMs`. Never touches our own group. */
export async function terminateProcesses(
  refs: processes.ProcessRef[],
  graceMs: number,
  clock: Clock,
): Promise<void> {
  await processes.terminateProcesses(refs, clock, { graceMs });
}
