// A pane's status as tmux reports it, with the kernel's word when tmux has none.
import { readZombieExit } from "./process.ts";

/**
 * A pane's life: running; dead with its exit code, or the signal that killed it (both null when unknown: tmux 3.3
 * does not report signals); gone (killed, or never existed).
 */
export type PaneStatus =
  | { state: "running"; pid: number }
  | { state: "dead"; pid: number; exitCode: number | null; signal: string | null }
  | { state: "gone" };

/** How a pane's program ended: every PaneStatus but "running". */
export type PaneExit = Exclude<PaneStatus, { state: "running" }>;

/** What one status read asks tmux for; parsePaneStatus reads the answer. */
export const PANE_STATUS_FORMAT = "#{pane_pid} #{pane_dead} #{pane_dead_status}";

export function parsePaneStatus(line: string): PaneStatus {
  const [pidText, dead, status] = line.trim().split(" ");
  const pid = Number(pidText);
  // A server that is shutting down (its last session just killed) can answer with nothing at all.
  if (!Number.isInteger(pid) || pid <= 0 || (dead !== "0" && dead !== "1")) return { state: "gone" };
  if (dead === "0") return { state: "running", pid };
  if (status) return { state: "dead", pid, exitCode: Number(status), signal: null };
  // No status from tmux: it has not reaped the program (yet, or ever), or the program died of a signal.
  const zombie = readZombieExit(pid);
  return { state: "dead", pid, exitCode: zombie?.exitCode ?? null, signal: zombie?.signal ?? null };
}
