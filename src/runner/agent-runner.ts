// The composition root: builds the runner's parts, wires their events together, and runs the start/stop sequence.

import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { RunnerConfig } from "../config/index.ts";
import { ControlServer, type ControlServerOptions, messageIdsInPrompt } from "../control/index.ts";
import type { Command } from "../protocol/index.ts";
import type { ProviderAdapter, ProviderEvent } from "../providers/adapter.ts";
import type { ProfileSummary } from "../providers/team-profile.ts";
import { RelayBusClient, RelayHttpClient } from "../relay-client/index.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import { AttachmentCache } from "./attachment-cache.ts";
import { commandHandlers, runnerActions } from "./command-actions.ts";
import { CommandRunner } from "./command-runner.ts";
import { ConfirmationTracker } from "./confirmations.ts";
import { type Credentials, NOT_RUNTIME } from "./credentials.ts";
import { DeliveryGate } from "./delivery-gate.ts";
import { DeliveryQueue } from "./delivery-queue.ts";
import { RunnerInfoFile } from "./info-file.ts";
import { Liveness } from "./liveness.ts";
import { noteMessage } from "./note.ts";
import { Periodic } from "./periodic.ts";
import { ProviderEventSink } from "./provider-events.ts";
import { ProviderSupervisor } from "./provider-supervisor.ts";
import { RestartPolicy, type RestartPolicyLimits } from "./restart-policy.ts";
import { heartbeatMeta, providerEnv, statusMeta } from "./runtime-meta.ts";
import type { SessionStore } from "./session-store.ts";
import { SHUTDOWN_DEADLINES, shutdownStep } from "./shutdown.ts";
import { StatusPublisher } from "./status-publisher.ts";
import { TaskTracker } from "./task-tracker.ts";
import { TokenRenewer } from "./token-renewer.ts";
import { wireRunner } from "./wiring.ts";
import { WorkTracker } from "./work-tracker.ts";

export const RUNNER_TIMERS = { heartbeatMs: 30_000, livenessMs: 20_000, claimRenewalMs: 5 * 60_000 } as const;

export interface AgentRunnerOptions {
  config: RunnerConfig;
  adapter: ProviderAdapter;
  relayUrl: string;
  credentials: Credentials;
  logger: Logger;
  /** Where attachments are cached (one folder per agent below it). */
  cacheDir: string;
  clock?: Clock;
  machine?: string;
  /** Absolute path of the `agent-relay-runner` launcher, for the provider's skills. */
  binPath?: string;
  timers?: Partial<Record<keyof typeof RUNNER_TIMERS, number>>;
  restartLimits?: Partial<RestartPolicyLimits>;
  control?: ControlServerOptions;
  /** Where the provider's native session id is kept so a restarted runner resumes it. */
  sessionStore?: SessionStore;
  /** The first spawn resumes the saved native session (the adapter was given its id). */
  resumeFirstSpawn?: boolean;
  /** How long start() waits for the bus to open. */
  connectTimeoutMs?: number;
  /** The applied team profile, as status meta shows it (names and counts only). */
  profile?: ProfileSummary;
}

/** created → starting → running → stopping → stopped; `done` resolves with the exit code once stopped. */
export type RunnerState = "created" | "starting" | "running" | "stopping" | "stopped";

export interface RunnerExit {
  code: number;
  reason: string;
}

export class AgentRunner {
  readonly instanceId = crypto.randomUUID();
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
  readonly confirmations: ConfirmationTracker;
  readonly liveness: Liveness;
  readonly renewer: TokenRenewer;
  readonly timers: Periodic[];
  readonly info: RunnerInfoFile | undefined;
  private _state: RunnerState = "created";
  private resolveDone!: (exit: RunnerExit) => void;
  readonly done = new Promise<RunnerExit>((r) => {
    this.resolveDone = r;
  });
  private stopping: Promise<RunnerExit> | undefined;
  private readonly gate: DeliveryGate;

  constructor(readonly o: AgentRunnerOptions) {
    const { config } = o;
    this.clock = o.clock ?? systemClock;
    this.log = o.logger.child({ agentId: config.agentId });
    const timers = { ...RUNNER_TIMERS, ...o.timers };
    const agentId = config.agentId;
    const address = () => ({
      agentId,
      label: config.label,
      tags: config.tags,
      capabilities: config.capabilities,
      broadTargets: config.broadTargets,
    });

    this.work = new WorkTracker({
      clock: this.clock,
      onListenerError: (e) => this.log.error({ err: errorMessage(e) }, "status listener failed"),
    });
    this.gate = new DeliveryGate(this.clock, () => this.work.has("provider-turn", "turn"));
    this.http = new RelayHttpClient({ relayUrl: o.relayUrl, token: o.credentials.token });
    this.control = new ControlServer({
      logger: this.log.child({ part: "control" }),
      clock: this.clock,
      currentProviderSessionId: () => this.supervisor.providerSessionId,
      extractMessageIds: messageIdsInPrompt,
      // Only a runtime token bound to this agent is ever handed out (GET /v1/credentials answers 404 otherwise).
      credentials: () =>
        o.credentials.isRuntime ? { relayUrl: o.relayUrl, agentId, token: o.credentials.token } : undefined,
      ...o.control,
    });
    this.tasks = new TaskTracker({
      agentId: () => agentId,
      relay: this.http,
      logger: this.log,
      onStart: (taskId) => this.work.add({ kind: "task", id: String(taskId) }),
      onEnd: (taskId) => this.work.remove("task", String(taskId)),
    });
    this.confirmations = new ConfirmationTracker({
      clock: this.clock,
      onConfirmed: (messageId) => {
        this.queue.forgetWritten(messageId);
        this.log.debug({ messageId }, "delivery confirmed");
      },
      onAmbiguous: (messageId) => {
        this.queue.forgetWritten(messageId);
        this.log.warn(
          { messageId },
          "delivery not confirmed by the provider; reported ambiguous, not re-sent",
        );
        this.status.timelineEvent("delivery-ambiguous", { messageId });
      },
    });
    this.events = new ProviderEventSink({
      work: this.work,
      tasks: this.tasks,
      onIdle: () => this.queue.kick(),
      onTimeline: (event, data) => this.status.timelineEvent(event, data),
      onConfirmed: (messageId) => this.confirmations.confirmed(messageId),
    });
    const policy = new RestartPolicy(o.restartLimits);
    this.supervisor = new ProviderSupervisor({
      adapter: o.adapter,
      cwd: config.cwd,
      clock: this.clock,
      logger: this.log.child({ part: "provider" }),
      envFor: (sessionId) => providerEnv(this, sessionId),
      restartOnExit: config.headless,
      resumeFirst: o.resumeFirstSpawn,
      decideOnExit: (exit) => policy.recordExit(exit),
      onEvent: (e) => this.onProviderEvent(e),
      onStateChange: (state) => this.onSupervisorState(state),
      onFinalExit: (code, reason) => void this.stop({ code, reason, graceful: false }),
    });
    const cache = new AttachmentCache(join(o.cacheDir, "attachments", agentId), (id, opts) =>
      this.http.downloadAttachment(id, opts),
    );
    this.queue = new DeliveryQueue({
      agent: address,
      relay: this.http,
      deliver: (items, signal) => o.adapter.deliver(items, signal),
      confirmsDelivery: o.adapter.confirmsDelivery === true,
      canDeliver: () =>
        this.supervisor.isRunning && this.gate.isOpen && !this.work.hasCondition("needs-input"),
      attachments: (m) => cache.fetchAll(m.attachments),
      onDelivered: (m, state) => {
        this.gate.delivered();
        if (state === "written" && o.adapter.confirmsDelivery) this.confirmations.written(m.id);
      },
      onTaskDelivered: (taskId, m, claimHeld) =>
        this.tasks.track(taskId, m.id, claimHeld, this.work.has("provider-turn", "turn")),
      onStateChange: (id, state) => {
        if (state === "claimed") this.work.add({ kind: "message", id: String(id) });
        else this.work.remove("message", String(id));
      },
      clock: this.clock,
      logger: this.log.child({ part: "delivery" }),
    });
    this.status = new StatusPublisher({
      work: this.work,
      send: (frame) => this.bus.status(frame),
      ready: () => this.supervisor.isRunning,
      now: () => this.clock.now(),
      meta: () => statusMeta(this),
    });
    this.bus = new RelayBusClient({
      relayUrl: o.relayUrl,
      token: o.credentials.token,
      logger: this.log.child({ part: "bus" }),
      clock: this.clock,
      heartbeatIntervalMs: timers.heartbeatMs,
      heartbeatMeta: () => heartbeatMeta(this),
      hello: {
        role: "provider",
        componentId: config.runnerId,
        agentId,
        instanceId: this.instanceId,
        machine: o.machine ?? hostname(),
        capabilities: [...config.capabilities],
        tags: [...config.tags],
        label: config.label,
        meta: { provider: config.provider, runnerId: config.runnerId, pid: process.pid },
        heartbeatIntervalMs: timers.heartbeatMs,
        status: "idle",
      },
    });
    this.commands = new CommandRunner({
      identity: () => ({ agentId, runnerId: config.runnerId }),
      relay: this.http,
      logger: this.log.child({ part: "commands" }),
      handlers: commandHandlers(
        runnerActions({
          adapter: o.adapter,
          supervisor: this.supervisor,
          publish: (action) => this.status.publish(action),
          reconnectTransport: (reason) => this.bus.reconnectTransport(reason),
          clearProviderWork: () => this.events.providerGone(),
          quiesce: (ms) => this.gate.quiesce(ms, () => this.queue.idle()),
          release: () => {
            this.gate.open();
            this.queue.kick();
          },
          resolvePermission: async (id, decision) =>
            this.control.resolvePermission(id, decision) ||
            ((await o.adapter.respondToPermissionDecision?.(id, decision)) ?? false),
          deliverNote: (content, signal) => this.deliverNote(content, signal),
        }),
      ),
      onStart: (c) => this.work.add({ kind: "command", id: c.id, label: c.type }),
      onEnd: (c, outcome) => this.onCommandEnd(c, outcome.ok),
    });
    this.liveness = new Liveness({
      relay: this.http,
      identity: () => ({ agentId, instanceId: this.instanceId }),
      status: () => {
        const s = this.status.snapshot();
        return { status: s.agentStatus, semanticStatus: s.semanticStatus, ready: s.ready };
      },
      heartbeatMeta: () => heartbeatMeta(this),
      offer: (m) => this.queue.offer(m),
      clock: this.clock,
      logger: this.log.child({ part: "liveness" }),
    });
    this.renewer = new TokenRenewer({
      clock: this.clock,
      renew: (signal) => this.http.renewToken({ signal }),
      onRenewed: (answer) => o.credentials.replace(answer),
      onFailed: (e) => {
        this.log.warn({ err: errorMessage(e) }, "runtime token renewal failed; retrying in 60 s");
        this.status.timelineEvent("runtime-token-renewal-failed", { error: errorMessage(e) });
      },
    });
    const periodic = (intervalMs: number, job: (s: AbortSignal) => Promise<void>, what: string) =>
      new Periodic({
        clock: this.clock,
        intervalMs,
        job,
        onError: (e) => this.log.warn({ err: errorMessage(e) }, `${what} failed`),
      });
    this.timers = [
      periodic(timers.livenessMs, (s) => this.liveness.round(s), "liveness"),
      periodic(timers.claimRenewalMs, () => this.tasks.renewClaims(), "claim renewal"),
    ];
    this.info = config.runnerInfoFile ? new RunnerInfoFile(config.runnerInfoFile, this.clock) : undefined;
    wireRunner(this);
  }

  get state(): RunnerState {
    return this._state;
  }

  /** Start-up order: control server, bus, provider, status, initial prompt, unread bootstrap, timers, drain. */
  async start(): Promise<void> {
    if (this._state !== "created") throw new Error(`runner already ${this._state}`);
    this._state = "starting";
    const { config } = this.o;
    try {
      this.control.start();
      await this.writeInfo();
      this.bus.start();
      await this.bus.waitForOpen({ timeoutMs: this.o.connectTimeoutMs ?? 30_000 });
      if (!this.o.credentials.isRuntime) throw new Error(NOT_RUNTIME);
      await this.supervisor.start();
      if (this.stopping) throw new Error("stopped during start-up");
      await this.writeInfo();
      this.status.publish("started");
      if (config.prompt) await this.deliverInitialPrompt(config.prompt);
      await this.liveness.readUnread();
      for (const t of this.timers) t.start();
      const record = this.o.credentials.record;
      if (record) this.renewer.schedule(record);
      this._state = "running";
      this.queue.kick();
      this.log.info({ provider: config.provider, controlUrl: this.control.url }, "runner started");
    } catch (e) {
      this.log.error({ err: errorMessage(e) }, "runner failed to start");
      await this.stop({ code: 1, reason: `start failed: ${errorMessage(e)}`, graceful: false });
      throw e;
    }
  }

  /** Stop everything; `deregister` removes the agent from the relay. Idempotent. */
  stop(options: {
    code?: number;
    reason: string;
    graceful?: boolean;
    deregister?: boolean;
  }): Promise<RunnerExit> {
    if (this.stopping) return this.stopping;
    this.stopping = this.teardown({ code: 0, graceful: true, deregister: true, ...options });
    return this.stopping;
  }

  private async teardown(o: { code: number; reason: string; graceful: boolean; deregister: boolean }) {
    this._state = "stopping";
    this.log.info({ reason: o.reason }, "runner stopping");
    for (const t of this.timers) t.stop();
    this.renewer.stop();
    this.queue.stop();
    this.confirmations.stop();
    this.commands.stop();
    const step = shutdownStep(this.clock, this.log);
    const { relayStepMs: relayMs, localStepMs: localMs, providerStopSlackMs } = SHUTDOWN_DEADLINES;
    const providerMs = 10_000;
    await step("provider stop", providerMs + providerStopSlackMs, () =>
      this.supervisor.stop({ graceful: o.graceful, timeoutMs: providerMs }),
    );
    this.supervisor.dispose();
    await step("claim release", relayMs, () => this.tasks.releaseAll());
    this.work.setCondition("offline", true, o.reason);
    await step("final status", relayMs, () => this.bus.statusAsync(this.status.flush()));
    if (o.deregister)
      await step("deregister", relayMs, () => this.http.deregister(this.o.config.agentId, this.instanceId));
    await step("bus close", localMs, () => this.bus.close());
    await step("control stop", localMs, () => this.control.stop());
    await step("http close", localMs, () => this.http.close());
    if (this.info) await step("info file", localMs, () => this.info!.remove());
    this._state = "stopped";
    const exit = { code: o.code, reason: o.reason };
    this.resolveDone(exit);
    return exit;
  }

  onProviderEvent(event: ProviderEvent): void {
    if (event.type === "turn.started") this.gate.turnStarted();
    if (event.type === "session.changed") this.saveSession(event.nativeSessionId);
    // Written but never confirmed: the next provider session gets them again (see Redelivery).
    if (event.type === "exited") this.confirmations.cancel(this.queue.providerExited());
    this.events.handle(event);
    this.status.publish();
  }

  private onSupervisorState(state: string): void {
    this.work.setCondition("starting", state === "spawning");
    if (state === "running") {
      const native = this.supervisor.nativeSessionId;
      if (native) this.saveSession(native);
      this.work.setCondition("offline", false);
      this.work.setCondition("error", false);
      void this.writeInfo();
      this.queue.kick();
    } else if (state === "restart-wait") {
      this.work.setCondition("offline", true, "provider restarting");
    } else if (state === "gave-up" || state === "failed") {
      this.work.setCondition("error", true, `provider ${state}`);
    }
    this.status.publish();
  }

  private onCommandEnd(command: Command, ok: boolean): void {
    this.work.remove("command", command.id);
    if (!ok) return;
    if (command.type === "agent.shutdown" || command.type === "agent.kill") {
      // The handler already stopped the provider. --no-exit-on-shutdown: the runner stays up, reporting offline.
      if (!this.o.config.exitOnShutdown) {
        this.work.setCondition("offline", true, `provider stopped by ${command.type}`);
        return;
      }
      void this.stop({ code: 0, reason: `${command.type} command`, deregister: true, graceful: true });
    }
  }

  private saveSession(nativeSessionId: string): void {
    this.o.sessionStore?.save(nativeSessionId).catch((e) => {
      this.log.warn({ err: errorMessage(e) }, "could not save the provider session id");
    });
  }

  private async deliverInitialPrompt(prompt: string): Promise<void> {
    const ac = new AbortController();
    if (this.o.adapter.deliverInitialPrompt) await this.o.adapter.deliverInitialPrompt(prompt, ac.signal);
    else await this.deliverNote(prompt, ac.signal);
  }

  /** Text that is not a relay message (initial prompt, injected context) travels as a synthetic system message. */
  private async deliverNote(content: string, signal: AbortSignal): Promise<void> {
    const note = noteMessage(this.o.config.agentId, content, this.clock.now());
    await this.o.adapter.deliver([{ message: note, attachmentPaths: [] }], signal);
  }

  private async writeInfo(): Promise<void> {
    if (!this.info) return;
    const { config } = this.o;
    const tmux = this.o.adapter.terminalAttachSpec()?.tmux;
    const fields = {
      agentId: config.agentId,
      runnerId: config.runnerId,
      provider: config.provider,
      controlUrl: this.control.url,
      pid: process.pid,
      tmuxSession: tmux?.session,
      tmuxSocket: tmux?.socket,
      startedAt: this.clock.now(),
      providerSessionId: this.supervisor.providerSessionId,
    };
    try {
      // startedAt is the runner's start: later rewrites keep the first one.
      if (this.info.current) await this.info.update({ ...fields, startedAt: this.info.current.startedAt });
      else await this.info.write(fields);
    } catch (e) {
      this.log.warn({ err: errorMessage(e) }, "could not write the runner info file");
    }
  }
}
