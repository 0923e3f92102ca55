import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopOrphans, writeRunnerPids } from "../../src/supervisor/orphans.ts";
import { systemClock } from "../../src/util/clock.ts";
import { isProcessRunning, listDescendants } from "../../src/util/processes.ts";
import { killSpawned } from "../support/spawned.ts";
import { waitFor } from "../support/wait-for.ts";

let dir: string;
const started: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "orphans-"));
});
afterEach(() => {
  killSpawned(started);
  rmSync(dir, { recursive: true, force: true });
});

/** A stand-in runner: a shell whose argv names `--agent-id <id>`, leading its own group, with a sleeping child. */
async function fakeRunner(agentId: string, script = "sleep 30; :"): Promise<number> {
  const child = spawn("sh", ["-c", script, "sh", "--agent-id", agentId], { stdio: "ignore", detached: true });
  started.push(child);
  const pid = child.pid!;
  // The sleep started means the script (and any trap before it) is in place.
  await waitFor(async () => (await listDescendants(pid)).length > 0, { what: "the runner's child" });
  return pid;
}

describe("stopOrphans", () => {
  test("a runner a killed supervisor left is stopped by SIGTERM and its agent reported", async () => {
    const pid = await fakeRunner("alpha");
    const path = join(dir, "runners.json");
    writeRunnerPids(path, [{ agentId: "alpha", pid }]);
    expect(await stopOrphans(path, systemClock, 5_000)).toEqual(["alpha"]);
    expect(isProcessRunning(pid)).toBe(false);
  });

  test("a runner that ignores SIGTERM is killed with its group after the deadline", async () => {
    const pid = await fakeRunner("beta", "trap '' TERM; sleep 30; :");
    const [child] = await listDescendants(pid);
    const path = join(dir, "runners.json");
    writeRunnerPids(path, [{ agentId: "beta", pid }]);
    const t0 = Date.now();
    expect(await stopOrphans(path, systemClock, 300)).toEqual(["beta"]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(isProcessRunning(pid)).toBe(false);
    expect(isProcessRunning(child!.pid)).toBe(false);
  });

  test("a recorded pid that now runs something else is left alone", async () => {
    const other = await fakeRunner("gamma");
    const path = join(dir, "runners.json");
    writeRunnerPids(path, [{ agentId: "delta", pid: other }]);
    expect(await stopOrphans(path, systemClock, 300)).toEqual([]);
    expect(isProcessRunning(other)).toBe(true);
  });

  test("no file means no orphans", async () => {
    expect(await stopOrphans(join(dir, "missing.json"), systemClock, 300)).toEqual([]);
  });
});
