// One agent's runner process: start it, restart it after an unexpected exit (backoff, crash-loop limit), stop it.
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { runTmux } from "../providers/tmux/run.ts";
import { agentTmuxSocket } from "../providers/tmux/socket-name.ts";
import { RestartPolicy, type RestartPolicyLimits } from "../runner/restart-policy.ts";
import { Backoff } from "../util/backoff.ts";
import { type Clock, sleep, type TimerHandle } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import type { Logger } from "../util/logger.ts";
import { writeAgentProfile } from "./profile-files.ts";
import type { AgentAccess, RelayAccess } from "./relay-access.ts";
import type { AgentPlan } from "./team-plan.ts";

export type SlotState = "starting" | "running" | "backoff" | "stopping" | "stopped" | "exited" | "crash-loop";

export interface SlotDeps {
  /** The runner launcher (bin/agent-relay-runner). */
  binPath: string;
  /** Each runner's stdout and stderr go to <logDir>/<agent>.log. */
  logDir: string;
  /** The environment every runner starts from (the supervisor's, without AGENT_RELAY_*). */
  baseEnv: Record<string, string>;
  relay: Pick<RelayAccess, "forAgent" | "deregister">;
  clock: Clock;
  logger: Logger;
  restartLimits?: Partial<RestartPolicyLimits>;
  /** Called whenever a runner process starts or exits. */
  onChange?: () => void;
}

export interface SlotInfo {
  agentId: string;
  provider: string;
  state: SlotState;
  pid?: number;
  /** Epoch ms the current runner process started. */
  startedAt?: number;
  restarts: number;
  /** Why it is down (crash loop, last exit, launch failure). */
  reason?: string;
}

/** The tmux socket the runner uses for this agent (runner id = agent id), to clean up after a killed runner. */
export function tmuxSocketFor(agentId: string): string {
  return agentTmuxSocket(agentId);
}

export class RunnerSlot {
  state: SlotState = "stopped";
  restarts: number;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private startedAt?: number;
  private reason?: string;
  private timer?: TimerHandle;
  private access?: AgentAccess;
  private stopping = false;
  private readonly policy: RestartPolicy;
  /** Delays between attempts to get the agent's token while the relay cannot mint one. */
  private readonly relayWait = new Backoff({ initialMs: 500, maxMs: 10_000, jitter: "equal" });

  constructor(
    readonly plan: AgentPlan,
    private readonly deps: SlotDeps,
    restarts = 0,
  ) {
    this.restarts = restarts;
    this.policy = new RestartPolicy(deps.restartLimits);
  }

  get logFile(): string {
    return join(this.deps.logDir, `${this.plan.id}.log`);
  }

  info(): SlotInfo {
    return {
      agentId: this.plan.id,
      provider: this.plan.provider,
      state: this.state,
      pid: this.child?.pid,
      startedAt: this.state === "running" ? this.startedAt : undefined,
      restarts: this.restarts,
      reason: this.reason,
    };
  }

  /** Start the runner; a launch failure counts as an exit and is retried like one. */
  start(): void {
    this.stopping = false;
    this.state = "starting";
    void this.launch();
  }

  private note(line: string): void {
    try {
      appendFileSync(this.logFile, `[supervisor ${new Date(this.deps.clock.now()).toISOString()}] ${line}\n`);
    } catch {}
  }

  /** The runner's private tmux server, found the way the runner found it (TMUX_TMPDIR of its environment). */
  private async killTmuxServer(): Promise<void> {
    const dir = this.deps.baseEnv.TMUX_TMPDIR;
    await runTmux(tmuxSocketFor(this.plan.id), ["kill-server"], {
      env: dir ? { TMUX_TMPDIR: dir } : {},
    }).catch(() => {});
  }

  private async launch(): Promise<void> {
    const { id } = this.plan;
    const launchedAt = this.deps.clock.now();
    try {
      // A runner killed outright leaves its tmux server (and the provider in it): clear it before a new start.
      await this.killTmuxServer();
      try {
        this.access = await this.deps.relay.forAgent(id);
        this.relayWait.reset();
      } catch (e) {
        // No token yet (the relay down or restarting): wait for it, without counting towards a crash loop.
        this.waitForRelay(errorMessage(e));
        return;
      }
      if (this.stopping) return;
      writeAgentProfile(this.plan);
      mkdirSync(this.deps.logDir, { recursive: true, mode: 0o700 });
      const fd = openSync(this.logFile, "a", 0o600);
      const env = { ...this.deps.baseEnv, ...this.plan.env, ...this.access.env };
      const args = ["--relay-url", this.access.url, ...this.plan.args];
      this.note(`starting runner: ${args.join(" ")}`);
      // Its own process group: a Ctrl-C at the supervisor's terminal is the supervisor's to handle.
      const child = spawn(this.deps.binPath, args, { env, stdio: ["ignore", fd, fd], detached: true });
      closeSync(fd);
      this.child = child;
      this.startedAt = this.deps.clock.now();
      this.exited = new Promise((resolve) => {
        // A failed spawn emits "error" and maybe no "exit": whichever comes first ends this run, once.
        let ended = false;
        const end = (code: number | null, signal: NodeJS.Signals | null, why?: string) => {
          if (ended) return;
          ended = true;
          this.onExit(code, signal, launchedAt, why);
          resolve();
        };
        child.once("exit", (code, signal) => end(code, signal));
        child.once("error", (e) => end(1, null, `could not start: ${errorMessage(e)}`));
      });
      this.state = "running";
      this.reason = undefined;
      this.deps.onChange?.();
      this.deps.logger.info({ agentId: id, pid: child.pid }, "runner started");
    } catch (e) {
      this.note(`could not start: ${errorMessage(e)}`);
      this.deps.logger.warn({ agentId: id, err: errorMessage(e) }, "runner could not start");
      this.onExit(1, null, launchedAt, `could not start: ${errorMessage(e)}`);
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, launchedAt: number, why?: string): void {
    const { id, restart } = this.plan;
    this.child = undefined;
    this.deps.onChange?.();
    const how = why ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
    this.note(`runner ${how}`);
    this.deps.logger.info({ agentId: id, code, signal }, "runner exited");
    if (this.stopping) {
      this.state = "stopped";
      return;
    }
    this.reason = how;
    const clean = code === 0 && !signal;
    if (restart === "never" || (clean && restart === "on-failure")) {
      // Exit 0: its agent was shut down (agent.shutdown) — it stays down.
      this.state = "exited";
      return;
    }
    const now = this.deps.clock.now();
    const decision = this.policy.recordExit({ at: now, ranForMs: now - launchedAt });
    if (decision.action === "give-up") {
      this.state = "crash-loop";
      this.reason = `crash loop: runner ${decision.reason.replace(/^provider /, "")}`;
      this.note(this.reason);
      return;
    }
    this.state = "backoff";
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.stopping) return;
      this.restarts++;
      this.start();
    }, decision.delayMs);
  }

  private waitForRelay(why: string): void {
    if (this.stopping) return;
    const delayMs = this.relayWait.next();
    this.state = "backoff";
    this.reason = `waiting for the relay: ${why}`;
    if (this.relayWait.attempts === 1) this.note(this.reason);
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.stopping) this.start();
    }, delayMs);
  }

  /** SIGTERM (the runner stops its provider and deregisters), SIGKILL after `deadlineMs`; then nothing is left. */
  async stop(deadlineMs: number): Promise<void> {
    this.stopping = true;
    this.timer?.cancel();
    this.timer = undefined;
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      this.state = "stopping";
      child.kill("SIGTERM");
      const stopped = await Promise.race([
        this.exited!.then(() => true),
        sleep(this.deps.clock, deadlineMs).then(() => false),
      ]);
      if (!stopped) {
        this.note(`no exit ${deadlineMs} ms after SIGTERM: SIGKILL`);
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
        await this.exited;
      }
    }
    // Whatever happened above: no tmux server (so no provider) outlives the stop, and the agent is gone.
    await this.killTmuxServer();
    // A graceful runner deregistered itself (the relay then answers 404); a killed or crashed one did not.
    if (this.access) await this.deps.relay.deregister(this.access, this.plan.id);
    this.state = "stopped";
    this.reason = undefined;
  }
}
