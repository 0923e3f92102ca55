// Checks and ends the process a pane ran, for the guarantee that nothing is left running after a shutdown.
import { readFileSync } from "node:fs";
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
