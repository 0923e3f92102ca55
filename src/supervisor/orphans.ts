// The runner pids a supervisor has started, kept in a 0600 file, so that the next supervisor can stop runners a
// killed supervisor left behind before it starts their agents again (two runners must never share an agent).
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import type { Clock } from "../util/clock.ts";
import { signalQuietly, terminateProcesses, waitForGone } from "../util/processes.ts";

const RunnerPids = z.array(z.object({ agentId: z.string(), pid: z.number().int().positive() }));
export type RunnerPids = z.infer<typeof RunnerPids>;

export function writeRunnerPids(path: string, entries: RunnerPids): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(entries)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

function readRunnerPids(path: string): RunnerPids {
  if (!existsSync(path)) return [];
  try {
    return RunnerPids.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch {
    return [];
  }
}

/** The pid still runs a runner for `agentId` (not a recycled pid): its argv names that agent. */
function isRunnerFor(pid: number, agentId: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const i = argv.indexOf("--agent-id");
    return i >= 0 && argv[i + 1] === agentId;
  } catch {
    return false;
  }
}

/**
 * SIGTERM every leftover runner (it stops its own provider on SIGTERM), then SIGKILL the ones still there after
 * `deadlineMs` with their process group (the supervisor starts each runner as a group leader); answers their agent
 * ids once they are gone.
 */
export async function stopOrphans(path: string, clock: Clock, deadlineMs: number): Promise<string[]> {
  const orphans = readRunnerPids(path).filter((e) => isRunnerFor(e.pid, e.agentId));
  for (const o of orphans) signalQuietly(o.pid, "SIGTERM");
  if (!(await waitForGone(orphans, deadlineMs, clock))) {
    const left = orphans.filter((o) => isRunnerFor(o.pid, o.agentId));
    await terminateProcesses(
      left.map((o) => ({ pid: o.pid, pgid: o.pid })),
      clock,
      { graceMs: 0 },
    );
  }
  return orphans.map((o) => o.agentId);
}
