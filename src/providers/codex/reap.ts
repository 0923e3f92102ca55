// Finds and ends the processes Codex leaves behind (shells in their own sessions, their orphaned helpers).
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
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

/**
 * A runner killed without a chance to stop Codex (SIGKILL, crash) leaves its app-server running, and that
 * process would keep the thread's single-writer lock, so resuming it there would fail. Nothing else uses
 * the agent's private CODEX_HOME, so whatever still carries it is a leftover.
 */
export async function reapStaleCodex(codexHome: string, logger: Logger, clock: Clock): Promise<void> {
  const stale = await processes.findProcessesWithEnv("CODEX_HOME", codexHome);
  if (stale.length === 0) return;
  logger.warn({ pids: stale.map((p) => p.pid) }, "stopping codex processes left by an earlier run");
  await terminateProcesses(stale, 2_000, clock);
}
