// ProviderSupervisor on a ManualClock with an in-process recording adapter: spawns, crash restarts, give-up, stale
// events, and the one `exited` per spawn it announces from the spawn's handle.
import { describe, expect, test } from "bun:test";
import type { ProviderEvent } from "../../src/providers/adapter.ts";
import { ProviderSupervisor, type SupervisorState } from "../../src/runner/provider-supervisor.ts";
import { RestartPolicy } from "../../src/runner/restart-policy.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { RecordingAdapter } from "../support/recording-adapter.ts";
import { captureLogger } from "../support/runner.ts";

function setup(o: { headless?: boolean } = {}) {
  const adapter = new RecordingAdapter();
  const clock = new ManualClock();
  const policy = new RestartPolicy();
  const decisions: unknown[] = [];
  const events: ProviderEvent[] = [];
  const states: SupervisorState[] = [];
  const finals: { code: number; reason: string }[] = [];
  const { logger } = captureLogger();
  const supervisor = new ProviderSupervisor({
    adapter,
    cwd: "/work",
    clock,
    logger,
    envFor: (id) => ({ AGENT_RELAY_PROVIDER_SESSION_ID: id }),
    restartOnExit: o.headless ?? true,
    decideOnExit: (exit) => {
      const d = policy.recordExit(exit);
      decisions.push(d);
      return d;
    },
    onEvent: (e) => events.push(e),
    onStateChange: (s) => states.push(s),
    onFinalExit: (code, reason) => finals.push({ code, reason }),
  });
  /** End the current spawn, then let the supervisor see its handle resolve. */
  const crash = async (exitCode: number | null = 1) => {
    adapter.exit({ exitCode, signal: null });
    await settle();
  };
  /** Let promises started by a timer or a handle settle. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  /** Start, then restart once: the first spawn's id and the one running now. */
  const startThenRestart = async () => {
    await supervisor.start();
    const old = supervisor.providerSessionId!;
    await supervisor.restart(1_000);
    return { old, current: supervisor.providerSessionId! };
  };
  return { adapter, clock, supervisor, decisions, events, states, finals, crash, settle, startThenRestart };
}

describe("ProviderSupervisor", () => {
  test("each spawn gets a fresh provider session id, in its env too; later spawns ask to resume", async () => {
    const s = setup();
    const { old: first, current: second } = await s.startThenRestart();
    expect(second).not.toBe(first);
    expect(s.adapter.spawns.map((c) => c.env.AGENT_RELAY_PROVIDER_SESSION_ID)).toEqual([first, second]);
    expect(s.adapter.spawns.map((c) => c.resume)).toEqual([false, true]);
    expect(s.adapter.shutdowns).toEqual([{ graceful: true, timeoutMs: 1_000 }]);
    expect(s.states).toEqual(["spawning", "running", "stopping", "spawning", "running"]);
  });

  test("a provider stopped by agent.shutdown (runner kept up) starts again on agent.restart, and reports its events", async () => {
    const s = setup();
    await s.supervisor.start();
    await s.supervisor.stop({ graceful: true, timeoutMs: 1_000 });
    expect(s.supervisor.state).toBe("stopped");
    await s.supervisor.restart(1_000);
    expect(s.supervisor.state).toBe("running");
    expect(s.adapter.spawns).toHaveLength(2);
    s.adapter.emit({ type: "turn.started" });
    expect(s.events.at(-1)?.type).toBe("turn.started");
    expect(s.events.at(-1)?.providerSessionId).toBe(s.supervisor.providerSessionId!);
  });

  test("events from an earlier provider session are ignored", async () => {
    const s = setup();
    const { old } = await s.startThenRestart();
    const announced = s.events.length;
    s.adapter.emit({ type: "turn.started" }, old);
    s.adapter.emit({ type: "turn.started" });
    expect(s.events.slice(announced).map((e) => `${e.type} ${e.providerSessionId}`)).toEqual([
      `turn.started ${s.supervisor.providerSessionId}`,
    ]);
    expect(s.supervisor.state, "an old session's exit is no crash").toBe("running");
  });

  test("crashes are restarted after 0.5 s, 1 s, 1.5 s; the 4th quick crash gives up with exit code 1", async () => {
    const s = setup();
    await s.supervisor.start();
    for (const delay of [500, 1_000, 1_500]) {
      const spawns = s.adapter.spawns.length;
      await s.crash();
      expect(s.supervisor.state).toBe("restart-wait");
      await s.clock.advance(delay - 1);
      expect(s.adapter.spawns.length, `no restart before ${delay} ms`).toBe(spawns);
      await s.clock.advance(1);
      await s.settle();
      expect(s.adapter.spawns.length, `restart at ${delay} ms`).toBe(spawns + 1);
      expect(s.supervisor.state).toBe("running");
    }
    await s.crash();
    expect(s.decisions.map((d) => (d as { action: string }).action)).toEqual([
      "restart",
      "restart",
      "restart",
      "give-up",
    ]);
    expect(s.supervisor.state).toBe("gave-up");
    expect(s.finals).toHaveLength(1);
    expect(s.finals[0]!.code).toBe(1);
    await s.clock.advance(60_000);
    expect(s.adapter.spawns.length, "4 spawns, none after giving up").toBe(4);
  });

  test("a late exit of an earlier spawn while a restart is pending does not start a parallel restart", async () => {
    const s = setup();
    s.adapter.shutdownLeavesSpawn = true;
    await s.supervisor.start();
    const old = s.supervisor.providerSessionId!;
    const restarting = s.supervisor.restart(1_000);
    await s.settle();
    await s.clock.advance(1_000);
    await restarting;
    s.adapter.shutdownLeavesSpawn = false;
    await s.crash();
    s.adapter.exit({ exitCode: null, signal: "SIGKILL" }, old);
    await s.settle();
    expect(s.decisions, "one decision for the one real crash").toHaveLength(1);
    expect(s.events.filter((e) => e.type === "exited").map((e) => e.providerSessionId)).toEqual([
      s.supervisor.providerSessionId!,
    ]);
    await s.clock.advance(10_000);
    await s.settle();
    expect(s.adapter.spawns.length).toBe(3);
  });

  test("a restart that fails to spawn ends the runner with code 1", async () => {
    const s = setup();
    await s.supervisor.start();
    s.adapter.spawnError = new Error("binary vanished");
    await s.crash();
    await s.clock.advance(500);
    await s.settle();
    expect(s.supervisor.state).toBe("failed");
    expect(s.finals).toEqual([{ code: 1, reason: expect.stringContaining("binary vanished") }]);
  });

  test("stop during the restart wait cancels the restart, and exits caused by stop are no crash", async () => {
    const s = setup();
    await s.supervisor.start();
    await s.crash();
    await s.supervisor.stop({ graceful: true, timeoutMs: 1_000 });
    await s.clock.advance(60_000);
    await s.settle();
    expect(s.adapter.spawns.length).toBe(1);
    expect(s.supervisor.state).toBe("stopped");
    expect(s.finals).toEqual([]);
  });

  test("without headless, the provider's exit ends the runner: 0 for a clean exit, 1 otherwise", async () => {
    const clean = setup({ headless: false });
    await clean.supervisor.start();
    await clean.crash(0);
    expect(clean.finals).toEqual([{ code: 0, reason: "provider exited (exit code 0)" }]);
    const failed = setup({ headless: false });
    await failed.supervisor.start();
    await failed.crash(3);
    expect(failed.finals).toEqual([{ code: 1, reason: "provider exited (exit code 3)" }]);
    expect(failed.decisions, "no restart decisions for a person's terminal").toEqual([]);
  });
  test("a spawn that exits on its own just as it is stopped is announced exited once, and is no crash", async () => {
    const s = setup();
    await s.supervisor.start();
    const id = s.supervisor.providerSessionId!;
    // The process ends (its handle resolves) and stop() comes before the supervisor has seen it.
    s.adapter.exit({ exitCode: 1, signal: null });
    await s.supervisor.stop({ graceful: true, timeoutMs: 1_000 });
    await s.settle();
    expect(s.events.filter((e) => e.type === "exited")).toEqual([
      { type: "exited", providerSessionId: id, exitCode: 1, signal: null },
    ]);
    expect(s.decisions).toEqual([]);
    expect(s.finals).toEqual([]);
    expect(s.supervisor.state).toBe("stopped");
  });

  test("a restart racing the spawn's own exit announces one exit and starts one new spawn", async () => {
    const s = setup();
    await s.supervisor.start();
    s.adapter.exit({ exitCode: 2, signal: null });
    await s.supervisor.restart(1_000);
    await s.clock.advance(60_000);
    await s.settle();
    expect(s.events.filter((e) => e.type === "exited")).toHaveLength(1);
    expect(s.decisions).toEqual([]);
    expect(s.adapter.spawns).toHaveLength(2);
    expect(s.supervisor.state).toBe("running");
  });

  test("stop waits for the spawn's exit after the adapter's shutdown, bounded by the shutdown timeout", async () => {
    const s = setup();
    await s.supervisor.start();
    s.adapter.shutdownLeavesSpawn = true;
    let stopped = false;
    const stopping = s.supervisor.stop({ graceful: true, timeoutMs: 1_000 }).then(() => {
      stopped = true;
    });
    await s.settle();
    expect(stopped, "the spawn has not exited yet").toBe(false);
    s.adapter.exit({ exitCode: 0, signal: null });
    await stopping;
    expect(s.events.at(-1)?.type, "exited is announced before stop resolves").toBe("exited");

    const broken = setup();
    await broken.supervisor.start();
    broken.adapter.shutdownLeavesSpawn = true;
    const bounded = broken.supervisor.stop({ graceful: true, timeoutMs: 1_000 });
    await broken.settle();
    await broken.clock.advance(1_000);
    await bounded;
    expect(broken.supervisor.state).toBe("stopped");
    broken.adapter.exit();
    await broken.settle();
    expect(
      broken.events.filter((e) => e.type === "exited"),
      "a spawn ending after stop gave up on it",
    ).toEqual([]);
  });

  test("events through acceptExternal pass for the current spawn only, and never an exited", async () => {
    const s = setup();
    const { old, current } = await s.startThenRestart();
    const before = s.events.length;
    s.supervisor.acceptExternal({ type: "needs-input", reason: "old dialog", providerSessionId: old });
    s.supervisor.acceptExternal({ type: "exited", exitCode: 1, signal: null, providerSessionId: current });
    s.supervisor.acceptExternal({ type: "needs-input", reason: "new dialog", providerSessionId: current });
    expect(s.events.slice(before)).toEqual([
      { type: "needs-input", reason: "new dialog", providerSessionId: current },
    ]);
    expect(s.supervisor.state).toBe("running");
  });

  test("a spawn's events stop passing once its exit is announced", async () => {
    const s = setup();
    await s.supervisor.start();
    await s.crash();
    expect(s.supervisor.state).toBe("restart-wait");
    s.adapter.emit({ type: "turn.completed" });
    s.supervisor.acceptExternal({
      type: "input.resolved",
      providerSessionId: s.supervisor.providerSessionId!,
    });
    expect(s.events.map((e) => e.type)).toEqual(["exited"]);
  });
});
