// The composition root: builds the runner's parts (runner-parts.ts) and runs their start and stop (lifecycle.ts).
import type { Logger } from "pino";
import type { RunnerConfig } from "../config/index.ts";
import type { ControlServer } from "../control/index.ts";
import type { ProviderAdapter } from "../providers/adapter.ts";
import type { RelayBusClient, RelayHttpClient } from "../relay-client/index.ts";
import type { Clock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import type { CommandRunner } from "./command-runner.ts";
import type { Credentials } from "./credentials.ts";
import type { DeliveryQueue } from "./delivery-queue.ts";
import { type StopRequest, startRunner, stopRunner } from "./lifecycle.ts";
import type { Liveness } from "./liveness.ts";
import type { ProviderEventSink } from "./provider-events.ts";
import type { ProviderSupervisor } from "./provider-supervisor.ts";
import type { AgentRunnerOptions } from "./runner-options.ts";
import { buildRunnerParts, type RunnerParts } from "./runner-parts.ts";
import type { StatusPublisher } from "./status-publisher.ts";
import type { TaskTracker } from "./task-tracker.ts";
import type { TokenRenewer } from "./token-renewer.ts";
import type { WorkTracker } from "./work-tracker.ts";

export { type AgentRunnerOptions, RUNNER_TIMERS } from "./runner-options.ts";

/** created → starting → running → stopping → stopped; `done` resolves with the exit code once stopped. */
export type RunnerState = "created" | "starting" | "running" | "stopping" | "stopped";

export interface RunnerExit {
  code: number;
  reason: string;
}

export class AgentRunner {
  readonly instanceId = crypto.randomUUID();
  readonly config: RunnerConfig;
  readonly adapter: ProviderAdapter;
  readonly credentials: Credentials;
  readonly clock: Clock;
  readonly log: Logger;
  readonly work: WorkTracker;
  readonly http: RelayHttpClient;
  readonly bus: RelayBusClient;
  readonly control: ControlServer;
  readonly supervisor: ProviderSupervisor;
  readonly queue: DeliveryQueue;
  readonly tasks: TaskTracker;
  readonly commands: CommandRunner;
  readonly status: StatusPublisher;
  readonly events: ProviderEventSink;
  readonly liveness: Liveness;
  readonly renewer: TokenRenewer;
  /** Where the agent works: its own worktree with --worktree, else its cwd. */
  readonly workspace: string;
  private readonly parts: RunnerParts;
  private readonly connectTimeoutMs: number | undefined;
  private _state: RunnerState = "created";
  private stopping: Promise<RunnerExit> | undefined;
  private resolveDone!: (exit: RunnerExit) => void;
  readonly done = new Promise<RunnerExit>((r) => {
    this.resolveDone = r;
  });

  constructor(options: AgentRunnerOptions) {
    const p = buildRunnerParts(options, this.instanceId, {
      isRunning: () => this._state === "running",
      stop: (exit) => this.stop(exit),
    });
    this.parts = p;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.config = p.config;
    this.adapter = p.adapter;
    this.credentials = p.credentials;
    this.clock = p.clock;
    this.log = p.log;
    this.work = p.work;
    this.http = p.http;
    this.bus = p.bus;
    this.control = p.control;
    this.supervisor = p.supervisor;
    this.queue = p.queue;
    this.tasks = p.tasks;
    this.commands = p.commands;
    this.status = p.status;
    this.events = p.events;
    this.liveness = p.liveness;
    this.renewer = p.renewer;
    this.workspace = p.workspace;
  }

  get state(): RunnerState {
    return this._state;
  }

  /** Start every part in order (see startRunner); a failed start stops what was started and rethrows. */
  async start(): Promise<void> {
    if (this._state !== "created") throw new Error(`runner already ${this._state}`);
    this._state = "starting";
    try {
      await startRunner(this.parts, {
        connectTimeoutMs: this.connectTimeoutMs,
        stopping: () => this.stopping !== undefined,
      });
    } catch (e) {
      await this.stop({ code: 1, reason: `start failed: ${errorMessage(e)}`, graceful: false });
      throw e;
    }
    this._state = "running";
    this.queue.kick();
    this.log.info({ provider: this.config.provider, controlUrl: this.control.url }, "runner started");
  }

  /** Stop everything; `deregister` removes the agent from the relay. Idempotent. */
  stop(options: StopRequest): Promise<RunnerExit> {
    if (this.stopping) return this.stopping;
    const o = { code: 0, graceful: true, deregister: true, ...options };
    this._state = "stopping";
    this.stopping = stopRunner(this.parts, o).then(() => {
      this._state = "stopped";
      const exit = { code: o.code, reason: o.reason };
      this.resolveDone(exit);
      return exit;
    });
    return this.stopping;
  }
}
