import { afterEach, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { systemClock } from "../../src/util/clock.ts";
import {
  findProcessesWithEnv,
  isProcessRunning,
  listDescendants,
  processInfo,
  terminateProcesses,
  waitForGone,
} from "../../src/util/processes.ts";
import { killSpawned } from "../support/spawned.ts";
import { waitFor } from "../support/wait-for.ts";

const started: ChildProcess[] = [];
afterEach(() => {
  killSpawned(started);
});

/** A shell in its own process group running `script`. */
function shell(script: string, env?: Record<string, string>): ChildProcess {
  const child = spawn("sh", ["-c", script], {
    stdio: "ignore",
    detached: true,
    env: { ...process.env, ...env },
  });
  started.push(child);
  return child;
}

describe("process helpers (/proc)", () => {
  test("descendants are listed parents first, with their group", async () => {
    const root = shell(`sh -c 'sleep 30 & wait' & wait`);
    const pid = root.pid!;
    const found = await waitFor(async () => {
      const d = await listDescendants(pid);
      return d.length >= 2 && d;
    });
    expect(found[0]!.ppid).toBe(pid);
    expect(found[1]!.ppid).toBe(found[0]!.pid);
    expect(found.every((p) => p.pgid === pid)).toBe(true);
  });

  test("a tree that ignores SIGTERM is ended by SIGKILL after the grace, group members included", async () => {
    const root = shell(`trap '' TERM; sleep 30 & sleep 30 & wait`);
    const pid = root.pid!;
    // Both sleeps started means the trap is in place (they inherit the ignored SIGTERM).
    const children = await waitFor(async () => {
      const d = await listDescendants(pid);
      return d.length === 2 && d;
    });
    const t0 = Date.now();
    expect(await terminateProcesses([{ pid, pgid: pid }], systemClock, { graceMs: 200 })).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    for (const p of [pid, ...children.map((c) => c.pid)]) expect(isProcessRunning(p)).toBe(false);
  });

  test("a process that ends on SIGTERM does not wait for the grace", async () => {
    const root = shell("exec sleep 30");
    await waitFor(() => isProcessRunning(root.pid!));
    const t0 = Date.now();
    expect(await terminateProcesses([{ pid: root.pid! }], systemClock, { graceMs: 5_000 })).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  test("an unreaped (zombie) child counts as gone", async () => {
    // The shell execs sleep, so nothing reaps the background child once it exits (it must outlive the exec).
    const parent = spawn("sh", ["-c", "sh -c 'sleep 0.2; exit 3' & echo $!; exec sleep 30"], {
      stdio: ["ignore", "pipe", "ignore"],
      detached: true,
    });
    started.push(parent);
    const pid = await new Promise<number>((resolve) =>
      parent.stdout!.once("data", (d) => resolve(Number(String(d)))),
    );
    await waitFor(() => processInfo(pid)?.zombie === true, { what: "the child to become a zombie" });
    expect(isProcessRunning(pid)).toBe(false);
    expect(await waitForGone([{ pid }], 0, systemClock)).toBe(true);
  });

  test("processes are found by an environment variable, and no longer once they ended", async () => {
    const marker = randomUUID();
    const root = shell("exec sleep 30", { PROCESSES_TEST_MARKER: marker });
    await waitFor(() => isProcessRunning(root.pid!));
    const found = await waitFor(async () => {
      const refs = await findProcessesWithEnv("PROCESSES_TEST_MARKER", marker);
      return refs.length > 0 && refs;
    });
    expect(found).toEqual([{ pid: root.pid! }]);
    await terminateProcesses(found, systemClock);
    expect(await findProcessesWithEnv("PROCESSES_TEST_MARKER", marker)).toEqual([]);
  });

  test("our own process group is never signalled, even when a ref names it", async () => {
    const own = processInfo(process.pid)!.pgid;
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    started.push(child);
    await waitFor(() => isProcessRunning(child.pid!));
    expect(await terminateProcesses([{ pid: child.pid!, pgid: own }], systemClock, { graceMs: 200 })).toBe(
      true,
    );
    expect(isProcessRunning(process.pid)).toBe(true);
  });

  test("a pid that never existed is already gone", async () => {
    expect(isProcessRunning(0)).toBe(false);
    expect(isProcessRunning(2 ** 22 + 1)).toBe(false);
    expect(await terminateProcesses([{ pid: 2 ** 22 + 1 }], systemClock)).toBe(true);
  });
});
