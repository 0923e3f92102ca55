// Test cleanup for spawned process-group leaders: SIGKILL each one's group and the process itself.
import type { ChildProcess } from "node:child_process";

/** Kill (SIGKILL) every child in `started` with its group, emptying the list; ones already gone are skipped. */
export function killSpawned(started: ChildProcess[]): void {
  for (const child of started.splice(0)) {
    if (child.pid === undefined) continue;
    for (const target of [-child.pid, child.pid]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}
