// Names a hello may take: a label and a runner id (componentId) belong to one live agent at a time.
import { type HelloFrame, RESERVED_AGENT_IDS } from "../../protocol/index.ts";
import { isOperator, type Principal } from "../auth/authenticate.ts";
import type { Store } from "../store/index.ts";

type Hello = Pick<HelloFrame, "agentId" | "componentId" | "label">;

/**
 * Why a runtime token's hello may not take the names it asks for, or undefined when it may.
 * - A runner id belongs to the registered agent that said hello with it, whatever its status, until that agent
 *   is deregistered: commands addressed to the runner id resolve to that agent, so no other may take it over.
 * - A label held by another registered agent that is not offline stays with that agent (first live holder keeps
 *   it); one held only by offline agents passes to the newcomer, and the offline rows lose it, so a `label:`
 *   message still pins to exactly one agent.
 * - The reserved ids (`root`, `supervisor`) are refused to everyone: they name the root token and the supervisor.
 * - An operator token (a person) never registers as an agent.
 * The root token is not checked otherwise: the administrator decides.
 */
export async function helloConflict(
  store: Store,
  principal: Principal,
  h: Hello,
): Promise<string | undefined> {
  if (RESERVED_AGENT_IDS.includes(h.agentId)) {
    return `agent id '${h.agentId}' is reserved (${RESERVED_AGENT_IDS.join(", ")}); choose another`;
  }
  if (principal.kind === "root") return undefined;
  // A person's token: its name must stay a person's, never a registered agent (see token minting).
  if (isOperator(principal)) return "an operator token is a person's and cannot register as an agent";
  const runnerHolder = (await store.agents.othersHolding("component_id", h.componentId, h.agentId))[0];
  if (runnerHolder) {
    return `runner id (componentId) '${h.componentId}' belongs to agent '${runnerHolder.id}' until it is deregistered; choose another runner id`;
  }
  if (h.label === undefined) return undefined;
  const labelHolders = await store.agents.othersHolding("label", h.label, h.agentId);
  const liveLabel = labelHolders.find((a) => a.status !== "offline");
  if (liveLabel) {
    return `label '${h.label}' is held by agent '${liveLabel.id}'; it stays theirs until they go offline or deregister`;
  }
  for (const a of labelHolders) await store.agents.clearLabel(a.id);
  return undefined;
}
