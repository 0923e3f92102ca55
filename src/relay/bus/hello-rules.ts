// Names a hello may take: a label and a runner id (componentId) belong to one live agent at a time.
import type { HelloFrame } from "../../protocol/index.ts";
import type { Principal } from "../auth/authenticate.ts";
import type { Store } from "../store/index.ts";

type Hello = Pick<HelloFrame, "agentId" | "componentId" | "label">;

/**
 * Why a runtime token's hello may not take the names it asks for, or undefined when it may.
 * A label or runner id held by another registered agent that is not offline stays with that agent (first live
 * holder keeps it); one held only by offline agents passes to the newcomer, and the offline rows lose the label so
 * a `label:` message still pins to exactly one agent. The root token is not checked: the operator decides.
 */
export function helloConflict(store: Store, principal: Principal, h: Hello): string | undefined {
  if (principal.kind === "root") return undefined;
  const runnerHolders = store.agents.othersHolding("component_id", h.componentId, h.agentId);
  const liveRunner = runnerHolders.find((a) => a.status !== "offline");
  if (liveRunner) {
    return `runner id (componentId) '${h.componentId}' belongs to agent '${liveRunner.id}'; choose another runner id`;
  }
  if (h.label === undefined) return undefined;
  const labelHolders = store.agents.othersHolding("label", h.label, h.agentId);
  const liveLabel = labelHolders.find((a) => a.status !== "offline");
  if (liveLabel) {
    return `label '${h.label}' is held by agent '${liveLabel.id}'; it stays theirs until they go offline or deregister`;
  }
  for (const a of labelHolders) store.agents.clearLabel(a.id);
  return undefined;
}
