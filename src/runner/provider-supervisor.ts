// Owns the provider's life: spawn, restart, shutdown, and restart-after-crash with backoff and a crash-loop limit.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { ProviderAdapter, ProviderEvent, SpawnResult } from "../providers/adapter.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import { errorMessage, RunnerError } from "../util/errors.ts";

export type SupervisorState =
  | "idle"
  | "spawning"
  | "running"
  | "stopping"
  | "restart-wait"
  | "stopped"
  | "gave-up"
  | "failed";

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
  /** Current-session events only; events from an earlier spawn never get here. */
  onEvent: (event: ProviderEvent) => void;
  onStateChange?: (state: SupervisorState, previous: SupervisorState) => void;
  /** The provider is gone for good: the runner should exit with this code. */
  onFinalExit: (code: number, reason: string) => void;
}

export class ProviderSupervisor {
  private _state: SupervisorState = "idle";
  private _sessionId: string | undefined;
  private _native: SpawnResult = {};
  private spawnedAt = 0;
  private spawnCount = 0;
  private restartTimer: TimerHandle | undefined;
  private abort = new AbortController();
  private readonly unsubscribe: () => void;

  constructor(private readonly o: SupervisorOptions) {
    this.unsubscribe = o.adapter.onEvent((e) => this.onAdapterEvent(e));
  }

  get state(): SupervisorState {
    return this._state;
  }
  /** The current spawn's id; status updates carrying another id are stale. */
  get providerSessionId(): string | undefined {
    return this._sessionId;
  }
  get nativeSessionId(): string | undefined {
    return this._native.nativeSessionId;
  }
  get isRunning(): boolean {
    return this._state === "running";
  }

  async start(): Promise<void> {
    this.expect(["idle"], "start");
    await this.spawn(false);
  }

  /** Graceful stop, then a fresh spawn (agent.restart). */
  async restart(timeoutMs: number): Promise<void> {
    // A stopped provider (agent.shutdown with --no-exit-on-shutdown) or one that gave up may be restarted on request.
    this.expect(["running", "restart-wait", "failed", "stopped", "gave-up"], "restart");
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    this.set("stopping");
    await this.o.adapter.shutdown({ graceful: true, timeoutMs }).catch((e) => {
      this.o.logger.warn({ err: errorMessage(e) }, "provider shutdown during restart failed");
    });
    await this.spawn(true);
  }

  async stop(options: { graceful: boolean; timeoutMs: number }): Promise<void> {
    if (this._state === "stopped" || this._state === "stopping") return;
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    this.abort.abort(new RunnerError("ABORTED", "provider stopping"));
    const wasUp = this._state !== "idle" && this._state !== "gave-up";
    this.set("stopping");
    try {
      if (wasUp) await this.o.adapter.shutdown(options);
    } finally {
      this.set("stopped");
    }
  }

  /** The runner is going away: stop listening to the adapter. */
  dispose(): void {
    this.unsubscribe();
  }

  private async spawn(resume: boolean): Promise<void> {
    this.set("spawning");
    this.abort = new AbortController();
    const providerSessionId = randomUUID();
    this._sessionId = providerSessionId;
    this.spawnCount++;
    try {
      this._native = await this.o.adapter.spawn({
        providerSessionId,
        env: this.o.envFor(providerSessionId),
        cwd: this.o.cwd,
        resume: resume || this.spawnCount > 1 || this.o.resumeFirst === true,
        signal: this.abort.signal,
      });
    } catch (e) {
      if (this.state === "stopping" || this.state === "stopped") return;
      this.set("failed");
      throw new RunnerError("PROVIDER_SPAWN_FAILED", `provider failed to start: ${errorMessage(e)}`, {
        cause: e,
      });
    }
    if (this._state !== "spawning") return; // stopped meanwhile
    this.spawnedAt = this.o.clock.now();
    this.set("running");
  }

  private onAdapterEvent(event: ProviderEvent): void {
    if (event.providerSessionId !== this._sessionId) return;
    if (event.type === "exited") this.onExit(event);
    this.o.onEvent(event);
  }

  private onExit(event: Extract<ProviderEvent, { type: "exited" }>): void {
    // Exits we caused (stop, restart) or that happen while a restart is already pending are not crashes.
    if (this._state !== "running") return;
    const at = this.o.clock.now();
    const clean = event.exitCode === 0;
    const how = `exit code ${event.exitCode ?? "none"}${event.signal ? `, signal ${event.signal}` : ""}`;
    if (!this.o.restartOnExit || !this.o.adapter.supportsUnexpectedExitRestart) {
      this.set("stopped");
      this.o.onFinalExit(clean ? 0 : 1, `provider exited (${how})`);
      return;
    }
    const decision = this.o.decideOnExit({ at, ranForMs: at - this.spawnedAt });
    if (decision.action === "give-up") {
      this.set("gave-up");
      this.o.logger.error({ reason: decision.reason }, "provider keeps crashing; giving up");
      this.o.onFinalExit(1, `provider crash loop: ${decision.reason}`);
      return;
    }
    this.o.logger.warn({ delayMs: decision.delayMs, how }, "provider exited unexpectedly; restarting");
    this.set("restart-wait");
    this.restartTimer = this.o.clock.setTimeout(() => {
      this.restartTimer = undefined;
      this.spawn(true).catch((e) => {
        this.o.logger.error({ err: errorMessage(e) }, "provider restart failed");
        this.o.onFinalExit(1, `provider restart failed: ${errorMessage(e)}`);
      });
    }, decision.delayMs);
  }

  private expect(states: SupervisorState[], action: string): void {
    if (!states.includes(this._state)) {
      throw new RunnerError("PROVIDER_NOT_READY", `cannot ${action} the provider while it is ${this._state}`);
    }
  }

  private set(state: SupervisorState): void {
    const previous = this._state;
    if (previous === state) return;
    this._state = state;
    this.o.onStateChange?.(state, previous);
  }
}
