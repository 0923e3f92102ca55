// Builds every part of a runner from its options and wires their events (the composition root's body).
import { hostname } from "node:os";
import { join } from "node:path";
import type { RunnerConfig } from "../config/index.ts";
import { ControlServer } from "../control/index.ts";
import type { ProviderAdapter } from "../providers/adapter.ts";
import { RelayBusClient, RelayHttpClient, RelayRoute, relayOrigin } from "../relay-client/index.ts";
import { systemClock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import { AttachmentCache } from "./attachment-cache.ts";
import { commandHandlers, runnerActions } from "./command-actions.ts";
import { CommandRunner } from "./command-runner.ts";
import { wireCompactionNotes } from "./compaction-note.ts";
import type { Credentials } from "./credentials.ts";
import { DeliveryGate } from "./delivery-gate.ts";
import { DeliveryQueue } from "./delivery-queue.ts";
import { RunnerInfoFile } from "./info-file.ts";
import { afterCommand, type LifecycleParts, type StopRequest } from "./lifecycle.ts";
import { Liveness } from "./liveness.ts";
import { Periodic } from "./periodic.ts";
import { ProviderEventSink } from "./provider-events.ts";
import { ProviderSupervisor } from "./provider-supervisor.ts";
import { ReceiptReporter } from "./receipt-reporter.ts";
import { RestartPolicy } from "./restart-policy.ts";
import { type AgentRunnerOptions, RUNNER_TIMERS } from "./runner-options.ts";
import { heartbeatMeta, providerEnv, runnerInfoFields, statusMeta } from "./runtime-meta.ts";
import { StatusPublisher } from "./status-publisher.ts";
import { buildTaskTracker } from "./task-parts.ts";
import type { TaskTracker } from "./task-tracker.ts";
import { TokenRenewer } from "./token-renewer.ts";
import { usageMeterFor } from "./usage-meter.ts";
import { wireRunner } from "./wiring.ts";
import { WorkTracker } from "./work-tracker.ts";
import { type AgentWorktree, agentWorktree } from "./worktree.ts";

/** Every part of a runner: what the lifecycle drives, plus the parts tests and tools look at. */
export interface RunnerParts extends LifecycleParts {
  config: RunnerConfig;
  adapter: ProviderAdapter;
  credentials: Credentials;
  work: WorkTracker;
  http: RelayHttpClient;
  bus: RelayBusClient;
  control: ControlServer;
  supervisor: ProviderSupervisor;
  queue: DeliveryQueue;
  tasks: TaskTracker;
  commands: CommandRunner;
  status: StatusPublisher;
  events: ProviderEventSink;
  liveness: Liveness;
  renewer: TokenRenewer;
  worktree: AgentWorktree | undefined;
  /** Where the agent works: its worktree's top folder with --worktree, else its cwd (task outcomes diff here). */
  workspace: string;
}

/** What the parts need from the runner that owns them. */
export interface RunnerHooks {
  isRunning: () => boolean;
  stop: (exit: StopRequest) => Promise<unknown>;
}

export function buildRunnerParts(o: AgentRunnerOptions, instanceId: string, hooks: RunnerHooks): RunnerParts {
  const { config, adapter, credentials } = o;
  const agentId = config.agentId;
  const clock = o.clock ?? systemClock;
  const log = o.logger.child({ agentId });
  const part = (name: string) => log.child({ part: name });
  const now = () => clock.now();
  const timers = { ...RUNNER_TIMERS, ...o.timers };

  const work = new WorkTracker({
    clock,
    onListenerError: (e) => log.error({ err: errorMessage(e) }, "status listener failed"),
  });
  const gate = new DeliveryGate(clock, () => work.has("provider-turn", "turn"));
  const usage = o.usage ?? usageMeterFor(config, adapter);
  // One relay choice for HTTP and bus: a connection failure either sees moves both to the next relay.
  const route = new RelayRoute(o.relayUrl, part("relay"));
  const http = new RelayHttpClient({ relayUrl: route.urls, route, token: credentials.token });
  const control = new ControlServer({
    logger: part("control"),
    clock,
    // Only a runtime token bound to this agent is ever handed out (GET /v1/credentials answers 404 otherwise).
    credentials: () =>
      credentials.isRuntime ? { relayUrl: route.current, agentId, token: credentials.token } : undefined,
    ...o.control,
  });
  const tasks = buildTaskTracker({
    config,
    adapter,
    relay: http,
    work,
    clock,
    logger: log,
    queue: () => queue,
    reportedUsage: () => events.facts.usageTotals,
    costUsd: () => usage.usage.costUsd,
  });
  const worktree =
    o.worktree && agentWorktree(o.worktree, http, { agentId, instanceId, log: part("worktree") });
  const notes = wireCompactionNotes({ clock, log, config, adapter, tasks, http, control });
  const policy = new RestartPolicy(o.restartLimits);
  const controlEnv = (id: string) => control.childEnv(id);
  // The agent's own CLI calls get the whole list, so they fail over like the runner.
  const env = { config, credentials, relayUrl: route.urls.join(","), binPath: o.binPath, controlEnv };
  const supervisor = new ProviderSupervisor({
    adapter,
    cwd: config.cwd,
    clock,
    logger: part("provider"),
    envFor: (providerSessionId) => providerEnv(env, providerSessionId),
    restartOnExit: config.headless,
    resumeFirst: o.resumeFirstSpawn,
    decideOnExit: (exit) => policy.recordExit(exit),
    onEvent: (e) => {
      events.onEvent(e);
      notes.observe(e);
    },
    onStateChange: (state) => events.onSupervisorState(state),
    onFinalExit: (code, reason) => void hooks.stop({ code, reason, graceful: false }),
  });
  const status = new StatusPublisher({
    work,
    send: (frame) => bus.status(frame),
    ready: () => supervisor.isRunning,
    now,
    meta: () =>
      statusMeta({
        provider: config.provider,
        model: config.model,
        profile: o.profile,
        adapter,
        supervisor,
        work,
        credentials,
        facts: events.facts,
        usage: () => usage.usage,
        ambiguous: () => queue.ambiguous,
        recentDeliveries: () => queue.recentDeliveries,
        transportState: () => bus.transportState,
        relay: () => (route.size > 1 ? relayOrigin(route.current) : undefined),
        worktree: worktree && (() => worktree.meta()),
      }),
  });
  const receipts = new ReceiptReporter({ agentId, relay: http, clock, logger: part("receipts") });
  const attachmentDir = join(o.cacheDir, "attachments", agentId);
  const queue = new DeliveryQueue({
    // The config carries the agent's address (id, label, tags, capabilities, broadTargets).
    agent: config,
    relay: http,
    adapter,
    attachments: new AttachmentCache(attachmentDir, (id, opts) => http.downloadAttachment(id, opts)),
    gate,
    provider: supervisor,
    work,
    tasks,
    status,
    clock,
    logger: part("delivery"),
    receipts,
  });
  const info = config.runnerInfoFile ? new RunnerInfoFile(config.runnerInfoFile, clock) : undefined;
  const infoSources = { config, adapter, supervisor, controlUrl: () => control.url, now };
  const writeInfo = async () => info?.save(runnerInfoFields(infoSources), log);
  const events = new ProviderEventSink({
    work,
    tasks,
    queue,
    gate,
    status,
    supervisor,
    writeInfo,
    sessionStore: o.sessionStore,
    usage,
    receipts,
    logger: log,
  });
  const bus = new RelayBusClient({
    relayUrl: route.urls,
    route,
    token: credentials.token,
    logger: part("bus"),
    clock,
    heartbeatIntervalMs: timers.heartbeatMs,
    heartbeatMeta: () => heartbeatMeta(status),
    hello: {
      role: "provider",
      componentId: config.runnerId,
      agentId,
      instanceId,
      machine: o.machine ?? hostname(),
      capabilities: [...config.capabilities],
      tags: [...config.tags],
      label: config.label,
      meta: { provider: config.provider, runnerId: config.runnerId, pid: process.pid },
      heartbeatIntervalMs: timers.heartbeatMs,
      status: "idle",
    },
  });
  const commands = new CommandRunner({
    identity: () => ({ agentId, runnerId: config.runnerId }),
    relay: http,
    logger: part("commands"),
    handlers: commandHandlers(
      runnerActions({
        adapter,
        supervisor,
        publish: (action) => status.publish(action),
        reconnectTransport: (reason) => bus.reconnectTransport(reason),
        clearProviderWork: () => events.providerGone(),
        quiesce: (ms) => gate.quiesce(ms, () => queue.idle()),
        release: () => {
          gate.open();
          queue.kick();
        },
        resolvePermission: async (id, decision) =>
          control.resolvePermission(id, decision) ||
          ((await adapter.respondToPermissionDecision?.(id, decision)) ?? false),
        deliverNote: (content, signal) => queue.deliverNote(content, signal),
      }),
    ),
    onStart: (c) => work.add({ kind: "command", id: c.id, label: c.type }),
    onEnd: (c, outcome) =>
      afterCommand(c, outcome.ok, {
        exitOnShutdown: config.exitOnShutdown,
        work,
        stop: (exit) => void hooks.stop(exit),
      }),
  });
  const liveness = new Liveness({
    relay: http,
    identity: () => ({ agentId, instanceId }),
    status: () => {
      const s = status.snapshot();
      return { status: s.agentStatus, semanticStatus: s.semanticStatus, ready: s.ready };
    },
    heartbeatMeta: () => heartbeatMeta(status),
    offer: (m) => queue.offer(m),
    clock,
    logger: part("liveness"),
  });
  const renewer = new TokenRenewer({
    clock,
    renew: (signal) => http.renewToken({ signal }),
    onRenewed: (answer) => credentials.replace(answer),
    onFailed: (e) => {
      log.warn({ err: errorMessage(e) }, "runtime token renewal failed; retrying in 60 s");
      status.timelineEvent("runtime-token-renewal-failed", { error: errorMessage(e) });
    },
  });
  const periodic = (intervalMs: number, job: (s: AbortSignal) => Promise<void>, what: string) =>
    new Periodic({
      clock,
      intervalMs,
      job,
      onError: (e) => log.warn({ err: errorMessage(e) }, `${what} failed`),
    });
  const all = { agentId, instanceId, adapter, credentials, supervisor, control, bus, http };
  const core = { ...all, status, liveness, queue, commands, tasks, work, renewer, events, clock, log };
  const parts: RunnerParts = {
    ...core,
    receipts,
    config,
    info,
    worktree,
    workspace: worktree?.path ?? config.cwd,
    writeInfo,
    prompt: config.prompt,
    timers: [
      periodic(timers.livenessMs, (s) => liveness.round(s), "liveness"),
      periodic(timers.claimRenewalMs, () => tasks.renewClaims(), "claim renewal"),
    ],
  };
  wireRunner({ ...core, isRunning: hooks.isRunning, stop: (exit) => void hooks.stop(exit) });
  return parts;
}
