// Owns the provider's life: spawn, restart, shutdown, and restart-after-crash with backoff and a crash-loop limit.
// It alone announces a spawn's `exited` (from the spawn's handle), once, and only for the current spawn.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type {
  AdapterEvent,
  ProviderAdapter,
  ProviderEvent,
  ProviderExit,
  SpawnResult,
} from "../providers/adapter.ts";
import type { Clock } from "../util/clock.ts";
import { errorMessage, RunnerError } from "../util/errors.ts";
import {
  liveSessionId,
  type SupervisorPhase,
  type SupervisorState,
  stoppingFrom,
} from "./provider-lifecycle.ts";

export type { SupervisorState };

export type ExitDecision = { action: "restart"; delayMs: number } | { action: "give-up"; reason: string };

export interface SupervisorOptions {
  adapter: ProviderAdapter;
  cwd: string;
  clock: Clock;
  logger: Logger;
  /** Environment for a spawn, given its fresh provider session id. */
  envFor: (providerSessionId: string) => Record<string, string>;
  /** The first spawn resumes the provider's previous native session (a restarted runner). */
  resumeFirst?: boolean;
  /** Whether an unexpected exit may be answered with a restart (headless with a terminal session). */
  restartOnExit: boolean;
  /** The restart policy: what to do about an exit, given when it happened and how long the provider ran. */
  decideOnExit: (exit: { at: number; ranForMs: number }) => ExitDecision;
  /** Current-spawn events only, its one `exited` included; events from an earlier spawn never get here. */
  onEvent: (event: ProviderEvent) => void;
  onStateChange?: (state: SupervisorState, previous: SupervisorState) => void;
  /** The provider is gone for good: the runner should exit with this code. */
  onFinalExit: (code: number, reason: string) => void;
}

type Running = Extract<SupervisorPhase, { tag: "running" }>;
type Stopping = Extract<SupervisorPhase, { tag: "stopping" }>;

export class ProviderSupervisor {
  private phase: SupervisorPhase = { tag: "idle" };
  /** The newest spawn's ids, kept after it ended: status, meta and the info file still name them. */
  private latest: { providerSessionId?: string; nativeSessionId?: string } = {};
  private spawnCount = 0;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: SupervisorOptions) {
    this.unsubscribe = o.adapter.onEvent((e) => this.accept(e));
  }

  get state(): SupervisorState {
    return this.phase.tag;
  }
  /** The newest spawn's id; status updates carrying another id are stale. */
  get providerSessionId(): string | undefined {
    return this.latest.providerSessionId;
  }
  get nativeSessionId(): string | undefined {
    return this.latest.nativeSessionId;
  }
  /** Spawns after the first: restarts (asked for or after a crash). */
  get restarts(): number {
    return Math.max(0, this.spawnCount - 1);
  }

  get isRunning(): boolean {
    return this.phase.tag === "running";
  }

  async start(): Promise<void> {
    this.expect(["idle"], "start");
    await this.spawn(false);
  }

  /** Graceful stop, then a fresh spawn (agent.restart). */
  async restart(timeoutMs: number): Promise<void> {
    // A stopped provider (agent.shutdown with --no-exit-on-shutdown) or one that gave up may be restarted on request.
    this.expect(["running", "restart-wait", "failed", "stopped", "gave-up"], "restart");
    this.cancelRestartWait();
    const stopping = stoppingFrom(this.phase);
    this.set(stopping);
    await this.o.adapter.shutdown({ graceful: true, timeoutMs }).catch((e) => {
      this.o.logger.warn({ err: errorMessage(e) }, "provider shutdown during restart failed");
    });
    await this.waitForExit(stopping, timeoutMs);
    await this.spawn(true);
  }

  async stop(options: { graceful: boolean; timeoutMs: number }): Promise<void> {
    if (this.phase.tag === "stopped" || this.phase.tag === "stopping") return;
    this.cancelRestartWait();
    if (this.phase.tag === "spawning")
      this.phase.abort.abort(new RunnerError("ABORTED", "provider stopping"));
    const wasUp = this.phase.tag !== "idle" && this.phase.tag !== "gave-up";
    const stopping = stoppingFrom(this.phase);
    this.set(stopping);
    try {
      if (wasUp) {
        await this.o.adapter.shutdown(options);
        await this.waitForExit(stopping, options.timeoutMs);
      }
    } finally {
      this.set({ tag: "stopped" });
    }
  }

  /**
   * An event that reached the runner another way (the control server: hooks, the permission broker). It passes
   * only for the current spawn; an `exited` from outside never does, since only the spawn's handle says it ended.
   */
  acceptExternal(event: ProviderEvent): void {
    if (event.type !== "exited") this.accept(event);
  }

  /** The runner is going away: stop listening to the adapter. */
  dispose(): void {
    this.unsubscribe();
  }

  private accept(event: AdapterEvent): void {
    if (event.providerSessionId === liveSessionId(this.phase)) this.o.onEvent(event);
  }

  private async spawn(resume: boolean): Promise<void> {
    const sessionId = randomUUID();
    const abort = new AbortController();
    this.latest = { ...this.latest, providerSessionId: sessionId };
    this.set({ tag: "spawning", sessionId, abort });
    this.spawnCount++;
    let handle: SpawnResult;
    try {
      handle = await this.o.adapter.spawn({
        providerSessionId: sessionId,
        env: this.o.envFor(sessionId),
        cwd: this.o.cwd,
        resume: resume || this.spawnCount > 1 || this.o.resumeFirst === true,
        signal: abort.signal,
      });
    } catch (e) {
      if (!this.isSpawning(sessionId)) return; // stopped meanwhile
      const reason = `provider failed to start: ${errorMessage(e)}`;
      this.set({ tag: "failed", reason });
      throw new RunnerError("PROVIDER_SPAWN_FAILED", reason, { cause: e });
    }
    if (!this.isSpawning(sessionId)) return; // stopped meanwhile; the adapter's shutdown owns what it started
    this.latest = { providerSessionId: sessionId, nativeSessionId: handle.nativeSessionId };
    // Nobody may await `gone` (a crash): a failure here is logged, never an unhandled rejection.
    const gone = handle.exited
      .then((exit) => this.onExited(sessionId, exit))
      .catch((e) => this.o.logger.error({ err: errorMessage(e) }, "announcing the provider's exit failed"));
    this.set({ tag: "running", sessionId, spawnedAt: this.o.clock.now(), gone });
  }

  private isSpawning(sessionId: string): boolean {
    return this.phase.tag === "spawning" && this.phase.sessionId === sessionId;
  }

  /** A spawn's handle resolved: announce it once if it is still the current spawn, then apply the policy. */
  private onExited(sessionId: string, exit: ProviderExit): void {
    const phase = this.phase;
    if (liveSessionId(phase) !== sessionId) return; // an earlier spawn, ended late
    // Exits we caused (stop, restart) are no crashes; the spawn's later events no longer pass.
    if (phase.tag === "stopping") this.phase = { tag: "stopping" };
    else if (phase.tag === "running") this.applyExitPolicy(phase, exit);
    this.o.onEvent({
      type: "exited",
      providerSessionId: sessionId,
      exitCode: exit.exitCode,
      signal: exit.signal,
      ...(phase.tag === "running" ? { unexpected: true } : {}),
    });
  }

  private applyExitPolicy(running: Running, exit: ProviderExit): void {
    const at = this.o.clock.now();
    const clean = exit.exitCode === 0;
    const how = `exit code ${exit.exitCode ?? "none"}${exit.signal ? `, signal ${exit.signal}` : ""}`;
    if (!this.o.restartOnExit || !this.o.adapter.supportsUnexpectedExitRestart) {
      this.set({ tag: "stopped" });
      this.o.onFinalExit(clean ? 0 : 1, `provider exited (${how})`);
      return;
    }
    const decision = this.o.decideOnExit({ at, ranForMs: at - running.spawnedAt });
    if (decision.action === "give-up") {
      this.set({ tag: "gave-up", reason: decision.reason });
      this.o.logger.error({ reason: decision.reason }, "provider keeps crashing; giving up");
      this.o.onFinalExit(1, `provider crash loop: ${decision.reason}`);
      return;
    }
    this.o.logger.warn({ delayMs: decision.delayMs, how }, "provider exited unexpectedly; restarting");
    const timer = this.o.clock.setTimeout(() => {
      this.spawn(true).catch((e) => {
        this.o.logger.error({ err: errorMessage(e) }, "provider restart failed");
        this.o.onFinalExit(1, `provider restart failed: ${errorMessage(e)}`);
      });
    }, decision.delayMs);
    this.set({ tag: "restart-wait", timer });
  }

  /**
   * After the adapter's shutdown, wait for the stopped spawn's exit to be announced, so the next spawn never
   * overlaps it. The adapter promises its shutdown resolves after the exit; the bound guards against one that lies.
   */
  private async waitForExit(stopping: Stopping, timeoutMs: number): Promise<void> {
    if (!stopping.gone) return;
    let timer: { cancel(): void } | undefined;
    const timedOut = new Promise<boolean>((r) => {
      timer = this.o.clock.setTimeout(() => r(true), timeoutMs);
    });
    const late = await Promise.race([stopping.gone.then(() => false), timedOut]);
    timer?.cancel();
    if (late)
      this.o.logger.warn({ timeoutMs }, "the provider's shutdown returned but its spawn did not exit");
  }

  private cancelRestartWait(): void {
    if (this.phase.tag === "restart-wait") this.phase.timer.cancel();
  }

  private expect(states: SupervisorState[], action: string): void {
    if (!states.includes(this.phase.tag)) {
      throw new RunnerError(
        "PROVIDER_NOT_READY",
        `cannot ${action} the provider while it is ${this.phase.tag}`,
      );
    }
  }

  private set(next: SupervisorPhase): void {
    const previous = this.phase.tag;
    this.phase = next;
    if (previous !== next.tag) this.o.onStateChange?.(next.tag, previous);
  }
}
