// The runner's start and stop order, in one place: named steps, each with its deadline; teardown always releases.
import type { Logger } from "pino";
import type { ControlServer } from "../control/index.ts";
import type { Command } from "../protocol/index.ts";
import type { ProviderAdapter } from "../providers/adapter.ts";
import type { RelayBusClient, RelayHttpClient } from "../relay-client/index.ts";
import type { Clock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import type { CommandRunner } from "./command-runner.ts";
import { type Credentials, NOT_RUNTIME } from "./credentials.ts";
import type { DeliveryQueue } from "./delivery-queue.ts";
import type { RunnerInfoFile } from "./info-file.ts";
import type { Liveness } from "./liveness.ts";
import type { Periodic } from "./periodic.ts";
import type { ProviderSupervisor } from "./provider-supervisor.ts";
import type { ReceiptReporter } from "./receipt-reporter.ts";
import { SHUTDOWN_DEADLINES, shutdownStep } from "./shutdown.ts";
import type { StatusPublisher } from "./status-publisher.ts";
import type { TaskTracker } from "./task-tracker.ts";
import type { TokenRenewer } from "./token-renewer.ts";
import type { WorkTracker } from "./work-tracker.ts";
import type { AgentWorktree } from "./worktree.ts";

/** How long the provider gets to stop gracefully when the runner stops; the supervisor escalates to a kill. */
export const PROVIDER_STOP_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** A request to stop the runner: defaults code 0, graceful, deregistered. */
export interface StopRequest {
  code?: number;
  reason: string;
  graceful?: boolean;
  deregister?: boolean;
}

/** The parts the start and stop sequences drive. */
export interface LifecycleParts {
  agentId: string;
  instanceId: string;
  /** Text handed to the provider once it is up. */
  prompt: string | undefined;
  adapter: Pick<ProviderAdapter, "deliverInitialPrompt">;
  control: Pick<ControlServer, "start" | "stop" | "url">;
  bus: Pick<RelayBusClient, "start" | "waitForOpen" | "statusAsync" | "close">;
  http: Pick<RelayHttpClient, "deregister" | "close">;
  credentials: Pick<Credentials, "isRuntime" | "record">;
  supervisor: Pick<ProviderSupervisor, "start" | "stop" | "dispose">;
  status: Pick<StatusPublisher, "publish" | "flush">;
  liveness: Pick<Liveness, "readUnread">;
  queue: Pick<DeliveryQueue, "kick" | "stop" | "deliverNote">;
  receipts: Pick<ReceiptReporter, "flush">;
  commands: Pick<CommandRunner, "stop">;
  tasks: Pick<TaskTracker, "releaseAll">;
  work: Pick<WorkTracker, "setCondition">;
  renewer: Pick<TokenRenewer, "schedule" | "stop">;
  timers: readonly Periodic[];
  info: RunnerInfoFile | undefined;
  /** The agent's own git worktree (--worktree): leased and made before the bus says hello, finished after the provider stops. */
  worktree?: Pick<AgentWorktree, "open" | "close">;
  writeInfo: () => Promise<void>;
  clock: Clock;
  log: Logger;
}

/**
 * Start-up order: control server, info file, bus (open within `connectTimeoutMs`), provider (its adapter's ready
 * deadline), status, initial prompt, unread bootstrap, timers and token renewal. Throws what failed; the caller
 * stops the runner. `stopping` says a stop came in meanwhile (the provider start is then abandoned).
 */
export async function startRunner(
  p: LifecycleParts,
  o: { connectTimeoutMs?: number; stopping: () => boolean },
): Promise<void> {
  const steps: [string, () => unknown][] = [
    ["control server", () => p.control.start()],
    ["info file", () => p.writeInfo()],
    // Before the hello: a second runner of this agent is refused here, before its hello could displace the first.
    ["worktree", () => p.worktree?.open()],
    ["bus", () => p.bus.start()],
    ["bus open", () => p.bus.waitForOpen({ timeoutMs: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS })],
    ["runtime token", () => requireRuntime(p.credentials)],
    ["provider", () => p.supervisor.start()],
    ["stopped meanwhile", () => requireNotStopping(o.stopping)],
    ["info file update", () => p.writeInfo()],
    ["status", () => p.status.publish("started")],
    ["initial prompt", () => (p.prompt ? deliverInitialPrompt(p, p.prompt) : undefined)],
    ["unread bootstrap", () => p.liveness.readUnread()],
    ["timers", () => startTimers(p)],
  ];
  for (const [what, run] of steps) {
    try {
      await run();
    } catch (e) {
      p.log.error({ step: what, err: errorMessage(e) }, "runner failed to start");
      throw e;
    }
  }
}

/**
 * Stop order: timers, queue and commands first (nothing new starts), then the provider, claims, final status and
 * deregistration at the relay; the local resources (bus, control server, HTTP client, info file) are released in
 * `finally`. Every step has a deadline (SHUTDOWN_DEADLINES): a dead relay or provider slows a stop, never holds it.
 */
export async function stopRunner(
  p: LifecycleParts,
  o: { reason: string; graceful: boolean; deregister: boolean },
): Promise<void> {
  const step = shutdownStep(p.clock, p.log);
  const { relayStepMs: relayMs, localStepMs: localMs, providerStopSlackMs } = SHUTDOWN_DEADLINES;
  p.log.info({ reason: o.reason }, "runner stopping");
  try {
    for (const t of p.timers) t.stop();
    p.renewer.stop();
    p.queue.stop();
    p.commands.stop();
    await step("provider stop", PROVIDER_STOP_MS + providerStopSlackMs, () =>
      p.supervisor.stop({ graceful: o.graceful, timeoutMs: PROVIDER_STOP_MS }),
    );
    p.supervisor.dispose();
    const worktree = p.worktree;
    // After the provider (nothing writes there any more), before the final status (which carries the outcome).
    if (worktree) await step("worktree", relayMs + localMs, () => worktree.close());
    await step("claim release", relayMs, () => p.tasks.releaseAll());
    await step("receipts", relayMs, () => p.receipts.flush());
    p.work.setCondition("offline", true, o.reason);
    await step("final status", relayMs, () => p.bus.statusAsync(p.status.flush()));
    if (o.deregister) await step("deregister", relayMs, () => p.http.deregister(p.agentId, p.instanceId));
  } finally {
    await step("bus close", localMs, () => p.bus.close());
    await step("control stop", localMs, () => p.control.stop());
    await step("http close", localMs, () => p.http.close());
    const info = p.info;
    if (info) await step("info file", localMs, () => info.remove());
  }
}

function requireNotStopping(stopping: () => boolean): void {
  if (stopping()) throw new Error("stopped during start-up");
}

function requireRuntime(credentials: Pick<Credentials, "isRuntime">): void {
  if (!credentials.isRuntime) throw new Error(NOT_RUNTIME);
}

async function deliverInitialPrompt(p: LifecycleParts, prompt: string): Promise<void> {
  const ac = new AbortController();
  if (p.adapter.deliverInitialPrompt) await p.adapter.deliverInitialPrompt(prompt, ac.signal);
  else await p.queue.deliverNote(prompt, ac.signal);
}

function startTimers(p: LifecycleParts): void {
  for (const t of p.timers) t.start();
  const record = p.credentials.record;
  if (record) p.renewer.schedule(record);
}

/**
 * After agent.shutdown or agent.kill succeeded (its handler already stopped the provider): the runner exits, or
 * with --no-exit-on-shutdown stays up, reporting offline.
 */
export function afterCommand(
  command: Command,
  ok: boolean,
  o: {
    exitOnShutdown: boolean;
    work: Pick<WorkTracker, "remove" | "setCondition">;
    stop: (exit: StopRequest) => void;
  },
): void {
  o.work.remove("command", command.id);
  if (!ok || (command.type !== "agent.shutdown" && command.type !== "agent.kill")) return;
  if (!o.exitOnShutdown) {
    o.work.setCondition("offline", true, `provider stopped by ${command.type}`);
    return;
  }
  o.stop({ code: 0, reason: `${command.type} command`, deregister: true, graceful: true });
}
