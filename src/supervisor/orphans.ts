// The runner pids a supervisor has started, kept in a 0600 file, so that the next supervisor can stop runners a
// killed supervisor left behind before it starts their agents again (two runners must never share an agent).
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { type Clock, sleep } from "../util/clock.ts";

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

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {}
}

/** SIGTERM every leftover runner, SIGKILL the ones still there after `deadlineMs`; answers their agent ids. */
export async function stopOrphans(path: string, clock: Clock, deadlineMs: number): Promise<string[]> {
  const orphans = readRunnerPids(path).filter((e) => isRunnerFor(e.pid, e.agentId));
  for (const o of orphans) signal(o.pid, "SIGTERM");
  const deadline = clock.now() + deadlineMs;
  while (orphans.some((o) => isRunnerFor(o.pid, o.agentId)) && clock.now() < deadline)
    await sleep(clock, 100);
  for (const o of orphans) {
    if (!isRunnerFor(o.pid, o.agentId)) continue;
    signal(-o.pid, "SIGKILL"); // its process group (the supervisor starts each runner as a group leader)
    signal(o.pid, "SIGKILL");
  }
  return orphans.map((o) => o.agentId);
}
