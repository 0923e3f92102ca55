// What the runner tells others about its provider: the child's environment, and the meta on status and heartbeat frames.
import type { AgentRunner } from "./agent-runner.ts";

/** The environment a provider spawn gets (the contract in docs/operations.md). */
export function providerEnv(r: AgentRunner, providerSessionId: string): Record<string, string> {
  const { config, credentials, relayUrl, binPath } = r.o;
  return {
    ...r.control.childEnv(providerSessionId),
    ...credentials.env(),
    AGENT_RELAY_RUNNER_ID: config.runnerId,
    AGENT_RELAY_AGENT_ID: config.agentId,
    AGENT_RELAY_URL: relayUrl,
    AGENT_RELAY_APPROVAL_MODE: config.approvalMode,
    ...(binPath ? { AGENT_RELAY_BIN: binPath } : {}),
  };
}

// The relay replaces an agent's meta with each status or heartbeat frame's, so both carry the full picture:
// otherwise a heartbeat would hide pending permissions and every status change the provider's runtime meta.
export function statusMeta(r: AgentRunner): Record<string, unknown> {
  const facts = r.events.facts;
  return {
    ...r.o.adapter.runtimeMeta?.(),
    contextUsage: facts.contextUsage,
    semanticStatus: r.work.semanticStatus,
    provider: r.o.config.provider,
    providerState: r.supervisor.state,
    providerSessionId: r.supervisor.providerSessionId,
    auth: r.o.credentials.summary(),
    profile: r.o.profile,
    transportState: r.bus.transportState,
    pendingPermissions: [...facts.pendingPermissions.values()],
    ambiguousDeliveries: r.confirmations.ambiguous.length > 0 ? [...r.confirmations.ambiguous] : undefined,
    lastFailure: facts.lastFailure,
  };
}

/** Heartbeats carry the same meta; timeline events ride on status frames only, once each. */
export function heartbeatMeta(r: AgentRunner): Record<string, unknown> {
  return { ...r.status.snapshot().meta, timeline: undefined };
}
