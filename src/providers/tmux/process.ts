// Checks and ends the process a pane ran: the guarantee that nothing is left running after a shutdown.
import { constants } from "node:os";
import type { Clock } from "../../util/clock.ts";
import { parseStat, readStat, terminateProcesses, waitForGone } from "../../util/processes.ts";

/**
 * Whether `pid` is a live process. A zombie counts as gone: once the tmux server dies its children are
 * re-parented to init, which may take a while to reap them, but they run nothing.
 */
export { isProcessRunning } from "../../util/processes.ts";

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n as number, name]));

/** How a process ended, decoded from its wait status. */
export interface ProcessExit {
  exitCode: number | null;
  signal: string | null;
}

/**
 * The exit of a zombie `pid` (ended, not yet reaped), read from /proc/<pid>/stat field 52 (Linux ≥ 3.5).
 * tmux 3.3 sometimes never reaps a pane's program, and then never learns its status; the kernel still has it.
 * Undefined when the process is not a zombie or /proc cannot tell.
 */
export function readZombieExit(pid: number): ProcessExit | undefined {
  const stat = readStat(pid);
  if (stat === undefined) return undefined;
  const fields = parseStat(stat);
  // fields[0] is field 3 (state), so field 52 is fields[49].
  if (fields[0] !== "Z" || fields[49] === undefined) return undefined;
  const status = Number(fields[49]);
  if (!Number.isInteger(status)) return undefined;
  const sig = status & 0x7f;
  if (sig === 0) return { exitCode: (status >> 8) & 0xff, signal: null };
  return { exitCode: null, signal: SIGNAL_NAMES.get(sig) ?? `signal ${sig}` };
}

/** Wait up to `ms` for `pid` to end; true when it did. */
export function waitForProcessEnd(pid: number, ms: number, clock: Clock): Promise<boolean> {
  return waitForGone([{ pid }], ms, clock);
}

/** Make sure `pid` is gone: SIGTERM, then SIGKILL after `graceMs`. Resolves false only if even SIGKILL failed. */
export function endProcess(pid: number, clock: Clock, graceMs = 2_000): Promise<boolean> {
  // The pane's program leads its own process group; signalling the group makes its children go too.
  return terminateProcesses([{ pid, pgid: pid }], clock, { graceMs, killWaitMs: 1_000 });
}
