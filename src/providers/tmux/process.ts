// Checks and ends the process a pane ran: the guarantee that nothing is left running after a shutdown.
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { type Clock, sleep } from "../../util/clock.ts";

/**
 * Whether `pid` is a live process. A zombie counts as gone: once the tmux server dies its children are
 * re-parented to init, which may take a while to reap them, but they run nothing.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces or parentheses, so read after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    // No /proc (macOS) or the process vanished between the two checks.
    return isProcessRunningWithoutProc(pid);
  }
}

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
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so field 52 is fields[49].
  if (fields[0] !== "Z" || fields[49] === undefined) return undefined;
  const status = Number(fields[49]);
  if (!Number.isInteger(status)) return undefined;
  const sig = status & 0x7f;
  if (sig === 0) return { exitCode: (status >> 8) & 0xff, signal: null };
  return { exitCode: null, signal: SIGNAL_NAMES.get(sig) ?? `signal ${sig}` };
}

function isProcessRunningWithoutProc(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  // The pane's program leads its own process group; signal the group so its children go too.
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, sig);
    } catch {
      // Already gone, or not a group leader.
    }
  }
}

/** Wait up to `ms` for `pid` to end; true when it did. */
export async function waitForProcessEnd(pid: number, ms: number, clock: Clock): Promise<boolean> {
  const deadline = clock.now() + ms;
  while (isProcessRunning(pid)) {
    if (clock.now() >= deadline) return false;
    await sleep(clock, 25);
  }
  return true;
}

/** Make sure `pid` is gone: SIGTERM, then SIGKILL after `graceMs`. Resolves false only if even SIGKILL failed. */
export async function endProcess(pid: number, clock: Clock, graceMs = 2_000): Promise<boolean> {
  if (!isProcessRunning(pid)) return true;
  signal(pid, "SIGTERM");
  if (await waitForProcessEnd(pid, graceMs, clock)) return true;
  signal(pid, "SIGKILL");
  return waitForProcessEnd(pid, 1_000, clock);
}
