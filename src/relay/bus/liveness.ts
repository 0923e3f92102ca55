// What a session's status and heartbeat frames, and its close, record about its agent.
import type { ClientFrame, ErrorCode } from "../../protocol/index.ts";
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { Store } from "../store/index.ts";
import type { SessionIdentity } from "./session.ts";

type Change = Parameters<Store["agents"]["touch"]>[1];

/** The agents-table change a status frame makes. */
export function statusChange(frame: Extract<ClientFrame, { type: "status" }>): Change {
  return {
    status: frame.agentStatus,
    semanticStatus: frame.semanticStatus,
    ready: frame.ready,
    meta: frame.meta,
  };
}

/**
 * Status and heartbeat frames count only from the agent's current instance: answers the error to tell an
 * older instance (or a deregistered agent's session), or undefined when the change was recorded.
 */
export async function recordLiveness(
  store: Store,
  clock: Clock,
  id: SessionIdentity,
  change: Change,
): Promise<{ code: ErrorCode; message: string } | undefined> {
  const agent = await store.agents.get(id.agentId);
  if (!agent) return { code: "not_found", message: `agent '${id.agentId}' is not registered` };
  if (agent.instanceId !== id.instanceId)
    return { code: "stale_instance", message: "a newer instance of this agent said hello" };
  await store.agents.touch(id.agentId, change, clock.now());
  return undefined;
}

/** A session closed: it proved its agent alive until now, if it is still the current instance. */
export async function touchIfCurrent(
  store: Store,
  clock: Clock,
  logger: Logger,
  id: SessionIdentity,
): Promise<void> {
  try {
    if ((await store.agents.get(id.agentId))?.instanceId === id.instanceId)
      await store.agents.touch(id.agentId, {}, clock.now());
  } catch (e) {
    logger.error({ err: e, agentId: id.agentId }, "could not record session close");
  }
}
