// RunnerSlot's restart rules with real child processes (a tiny script stands in for the runner): on-failure,
// always, never, the crash-loop limit, and stop escalating to SIGKILL.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { RunnerSlot } from "../../src/supervisor/runner-slot.ts";
import type { AgentPlan } from "../../src/supervisor/team-plan.ts";
import type { RestartPolicyName } from "../../src/supervisor/team-schema.ts";
import { systemClock } from "../../src/util/clock.ts";
import { waitFor } from "../support/wait-for.ts";

const dirs: string[] = [];
const slots: RunnerSlot[] = [];
afterEach(async () => {
  await Promise.all(slots.splice(0).map((s) => s.stop(1_000)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A stand-in runner: counts its starts in a file, then exits with $EXIT_CODE, or sleeps when it is "hang". */
function setup(
  exit: string,
  restart: RestartPolicyName,
  binPath?: string,
  forAgent?: () => Promise<{ url: string; env: Record<string, string>; token: string }>,
) {
  const dir = mkdtempSync(join(tmpdir(), "relay-slot-"));
  dirs.push(dir);
  const bin = join(dir, "runner.sh");
  const starts = join(dir, "starts");
  writeFileSync(
    bin,
    `#!/bin/sh\necho start >> "${starts}"\nif [ "$EXIT_CODE" = hang ]; then trap '' TERM; exec sleep 60; fi\nexit "$EXIT_CODE"\n`,
  );
  chmodSync(bin, 0o755);
  const deregistered: string[] = [];
  const plan: AgentPlan = {
    id: "slot-a",
    provider: "command",
    restart,
    args: [],
    env: { EXIT_CODE: exit },
    fingerprint: "x",
  };
  const slot = new RunnerSlot(plan, {
    binPath: binPath ?? bin,
    logDir: join(dir, "logs"),
    baseEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    relay: {
      forAgent:
        forAgent ??
        (async () => ({ url: "http://127.0.0.1:9", env: { AGENT_RELAY_TOKEN: "agent-token" }, token: "t" })),
      deregister: async (_a, id) => {
        deregistered.push(id);
      },
    },
    clock: systemClock,
    logger: pino({ level: "silent" }),
    restartLimits: { baseDelayMs: 20, minDelayMs: 20, maxDelayMs: 50 },
  });
  slots.push(slot);
  const count = () => {
    try {
      return readFileSync(starts, "utf8").split("\n").filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  return { slot, count, deregistered, log: () => readFileSync(slot.logFile, "utf8") };
}

describe("RunnerSlot", () => {
  test("on-failure: a runner failing fast is restarted with backoff, then given up on as a crash loop", async () => {
    const { slot, count, log } = setup("3", "on-failure");
    slot.start();
    await waitFor(() => slot.state === "crash-loop", { what: "crash-loop" });
    // The project's restart policy: the 4th quick exit within the window (4 > maxExits 3) gives up.
    expect(count()).toBe(4);
    expect(slot.info()).toMatchObject({ restarts: 3, state: "crash-loop" });
    expect(slot.info().reason).toMatch(/^crash loop: runner exited 4 times in 120 s/);
    expect(log()).toContain("runner exited with code 3");
  });

  test("a runner that cannot be spawned at all counts as a failed start: retried, then a crash loop", async () => {
    const { slot } = setup("1", "on-failure", "/nonexistent/agent-relay-runner");
    slot.start();
    await waitFor(() => slot.state === "crash-loop", { what: "crash-loop" });
    expect(slot.info().restarts).toBe(3);
    expect(slot.info().pid).toBeUndefined();
  });

  test("no token yet (the relay down): it waits for the relay without counting towards a crash loop", async () => {
    let refusals = 4; // the old rule (each a crash) gives up on the 4th
    const { slot, count } = setup("hang", "on-failure", undefined, async () => {
      if (refusals-- > 0) throw new Error("relay unreachable");
      return { url: "http://127.0.0.1:9", env: {}, token: "t" };
    });
    slot.start();
    await waitFor(() => slot.state === "backoff" && slot.info().reason?.startsWith("waiting for the relay"), {
      what: "waiting for the relay",
    });
    await waitFor(() => slot.state === "running" && count() === 1, { timeoutMs: 20_000, what: "started" });
    expect(slot.info()).toMatchObject({ restarts: 0, reason: undefined });
  }, 30_000);

  test("on-failure: exit 0 (its agent was shut down) stays down", async () => {
    const { slot, count } = setup("0", "on-failure");
    slot.start();
    await waitFor(() => slot.state === "exited", { what: "exited" });
    expect(count()).toBe(1);
    expect(slot.info()).toMatchObject({ restarts: 0, reason: "exited with code 0", pid: undefined });
  });

  test("always restarts a clean exit too; never restarts nothing", async () => {
    const always = setup("0", "always");
    always.slot.start();
    await waitFor(() => always.slot.state === "crash-loop", { what: "crash-loop" });
    expect(always.count()).toBe(4);
    const never = setup("1", "never");
    never.slot.start();
    await waitFor(() => never.slot.state === "exited", { what: "exited" });
    expect(never.count()).toBe(1);
  });

  test("stop: SIGTERM, SIGKILL after the deadline, then the agent is deregistered", async () => {
    const { slot, count, deregistered, log } = setup("hang", "on-failure");
    slot.start();
    await waitFor(() => slot.info().pid !== undefined && count() === 1, { what: "running" });
    const pid = slot.info().pid!;
    await slot.stop(300);
    expect(slot.state).toBe("stopped");
    expect(() => process.kill(pid, 0)).toThrow();
    expect(log()).toContain("no exit 300 ms after SIGTERM: SIGKILL");
    expect(deregistered).toEqual(["slot-a"]);
    expect(count()).toBe(1);
  });
});
