// What the runner tells others about its provider: the child's environment, the meta on status and heartbeat frames,
// and the fields of the runner info file.
import type { RunnerConfig } from "../config/index.ts";
import type { ProviderAdapter } from "../providers/adapter.ts";
import type { ProfileSummary } from "../providers/team-profile.ts";
import type { Credentials } from "./credentials.ts";
import type { RunnerInfoFields } from "./info-file.ts";
import type { ProviderFacts } from "./provider-events.ts";
import type { ProviderSupervisor } from "./provider-supervisor.ts";
import type { StatusPublisher } from "./status-publisher.ts";
import type { AgentUsage } from "./usage-meter.ts";
import type { WorkTracker } from "./work-tracker.ts";

export interface ProviderEnvSources {
  config: Pick<RunnerConfig, "runnerId" | "agentId" | "approvalMode">;
  credentials: Pick<Credentials, "env">;
  relayUrl: string;
  binPath?: string;
  /** The control server's part: its URL and this spawn's secret. */
  controlEnv: (providerSessionId: string) => Record<string, string>;
}

/** The environment a provider spawn gets (the contract in docs/operations.md). */
export function providerEnv(s: ProviderEnvSources, providerSessionId: string): Record<string, string> {
  return {
    ...s.controlEnv(providerSessionId),
    ...s.credentials.env(),
    AGENT_RELAY_RUNNER_ID: s.config.runnerId,
    AGENT_RELAY_AGENT_ID: s.config.agentId,
    AGENT_RELAY_URL: s.relayUrl,
    AGENT_RELAY_APPROVAL_MODE: s.config.approvalMode,
    ...(s.binPath ? { AGENT_RELAY_BIN: s.binPath } : {}),
  };
}

export interface StatusMetaSources {
  provider: RunnerConfig["provider"];
  adapter: Pick<ProviderAdapter, "runtimeMeta">;
  supervisor: Pick<ProviderSupervisor, "state" | "providerSessionId" | "restarts">;
  /** The model asked for (--model); a provider that reports its model in its runtime meta overrides it. */
  model?: string;
  work: Pick<WorkTracker, "semanticStatus">;
  credentials: Pick<Credentials, "summary">;
  facts: ProviderFacts;
  /** Tokens and cost summed over the agent's conversations, and its budget. */
  usage: () => AgentUsage;
  /** Written deliveries the provider never confirmed. */
  ambiguous: () => readonly number[];
  /** Recently confirmed messages: into a running turn (midTurn) or at a turn boundary. */
  recentDeliveries?: () => readonly { messageId: number; midTurn: boolean }[];
  transportState: () => string;
  /** With several relays, the one the runner is on now (its origin); undefined with one. */
  relay?: () => string | undefined;
  profile?: ProfileSummary;
  /** The agent's own git worktree (--worktree): path, branch, and on stop whether it was removed or kept. */
  worktree?: () => Record<string, unknown>;
}

// The relay replaces an agent's meta with each status or heartbeat frame's, so both carry the full picture:
// otherwise a heartbeat would hide pending permissions and every status change the provider's runtime meta.
export function statusMeta(s: StatusMetaSources): Record<string, unknown> {
  const ambiguous = s.ambiguous();
  const recent = s.recentDeliveries?.() ?? [];
  const runtime = s.adapter.runtimeMeta?.();
  return {
    ...runtime,
    model: runtime?.model ?? s.model,
    restarts: s.supervisor.restarts,
    contextUsage: s.facts.contextUsage,
    usage: s.usage(),
    semanticStatus: s.work.semanticStatus,
    provider: s.provider,
    providerState: s.supervisor.state,
    providerSessionId: s.supervisor.providerSessionId,
    auth: s.credentials.summary(),
    profile: s.profile,
    transportState: s.transportState(),
    relayUrl: s.relay?.(),
    pendingPermissions: [...s.facts.pendingPermissions.values()],
    ambiguousDeliveries: ambiguous.length > 0 ? [...ambiguous] : undefined,
    recentDeliveries: recent.length > 0 ? [...recent] : undefined,
    lastFailure: s.facts.lastFailure,
    worktree: s.worktree?.(),
  };
}

/** Heartbeats carry the same meta; timeline events ride on status frames only, once each. */
export function heartbeatMeta(status: Pick<StatusPublisher, "snapshot">): Record<string, unknown> {
  return { ...status.snapshot().meta, timeline: undefined };
}

export interface InfoSources {
  config: Pick<RunnerConfig, "agentId" | "runnerId" | "provider">;
  adapter: Pick<ProviderAdapter, "terminalAttachSpec">;
  supervisor: Pick<ProviderSupervisor, "providerSessionId">;
  controlUrl: () => string;
  now: () => number;
}

/** What the runner info file says now (its startedAt is kept from the first write). */
export function runnerInfoFields(s: InfoSources): RunnerInfoFields {
  const tmux = s.adapter.terminalAttachSpec()?.tmux;
  return {
    agentId: s.config.agentId,
    runnerId: s.config.runnerId,
    provider: s.config.provider,
    controlUrl: s.controlUrl(),
    pid: process.pid,
    tmuxSession: tmux?.session,
    tmuxSocket: tmux?.socket,
    startedAt: s.now(),
    providerSessionId: s.supervisor.providerSessionId,
  };
}
