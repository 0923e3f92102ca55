// Notices Claude's death within one short interval by probing its pid (signal 0), without a tmux call per probe.
import { type Clock, sleep } from "../../util/clock.ts";
import { isAlive } from "./process-tree.ts";

export const EXIT_PROBE_MS = 50;

/** Calls `onGone` once when `pid` no longer exists; stops when `signal` aborts. */
export function watchPidExit(
  pid: number,
  clock: Clock,
  signal: AbortSignal,
  onGone: () => void,
  intervalMs = EXIT_PROBE_MS,
): void {
  void (async () => {
    while (!signal.aborted) {
      try {
        await sleep(clock, intervalMs, signal);
      } catch {
        return;
      }
      if (!isAlive(pid)) {
        onGone();
        return;
      }
    }
  })();
}
