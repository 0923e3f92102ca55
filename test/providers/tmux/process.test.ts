import { afterEach, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { endProcess, isProcessRunning, readZombieExit } from "../../../src/providers/tmux/process.ts";
import { systemClock } from "../../../src/util/clock.ts";
import { listDescendants } from "../../../src/util/processes.ts";
import { waitFor } from "../../support/wait-for.ts";

const parents: number[] = [];
afterEach(() => {
  for (const pid of parents.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/**
 * Start `child` in the background under a parent that never reaps it (the shell execs `sleep`); resolve with the
 * child's pid once it ended. The child must outlive the exec, or the shell may reap it first.
 */
async function zombieOf(child: string): Promise<number> {
  const parent = spawn("sh", ["-c", `${child} & echo $!; exec sleep 20`], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  parents.push(parent.pid!);
  const pid = await new Promise<number>((resolve) =>
    parent.stdout!.once("data", (d) => resolve(Number(String(d)))),
  );
  await waitFor(() => !isProcessRunning(pid), { what: "the child to end" });
  return pid;
}

describe("pane process helpers", () => {
  test("an unreaped program's exit code is read from the kernel", async () => {
    const pid = await zombieOf("sh -c 'sleep 0.2; exit 7'");
    expect(readZombieExit(pid)).toEqual({ exitCode: 7, signal: null });
  });

  test("an unreaped program's killing signal is read by name", async () => {
    const pid = await zombieOf(`sh -c 'sleep 0.2; kill -TERM $$'`);
    expect(readZombieExit(pid)).toEqual({ exitCode: null, signal: "SIGTERM" });
  });

  test("a running process is not read as a zombie, and counts as running", () => {
    expect(readZombieExit(process.pid)).toBeUndefined();
    expect(isProcessRunning(process.pid)).toBe(true);
  });

  test("a process that ignores SIGTERM is ended by SIGKILL after the grace period", async () => {
    const child = spawn("sh", ["-c", "trap '' TERM HUP; while :; do sleep 0.05; done"], {
      stdio: "ignore",
      detached: true,
    });
    parents.push(child.pid!);
    // Give the shell time to install its trap, observed as it starting its first sleep.
    await waitFor(async () => (await listDescendants(child.pid!)).length > 0, {
      what: "the shell's first sleep",
    });
    const t0 = Date.now();
    expect(await endProcess(child.pid!, systemClock, 300)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(isProcessRunning(child.pid!)).toBe(false);
  });
});
