// Message addressing: the `to` forms and the one rule for whether a message is for an agent.
import { z } from "zod";
import type { Message } from "./entities.ts";

// A bare agent id never starts with a target prefix (see AgentId), so `tag:` alone is no target at all.
const TARGET =
  /^(broadcast|(label|tag|cap):[A-Za-z0-9._@:/-]{1,128}|(?!(label|tag|cap):)[A-Za-z0-9._@:-]{1,128})$/;
/** `<agentId>`, `label:<label>`, `tag:<tag>`, `cap:<capability>` or `broadcast`. */
export const Target = z
  .string()
  .regex(TARGET, "use <agentId>, label:<label>, tag:<tag>, cap:<capability> or broadcast");

export const ADDRESS_PART_PATTERN = /^[A-Za-z0-9._@:/-]{1,128}$/;
/** What may follow `label:`, `tag:` or `cap:`; hello's label, tags and capabilities must match it, so each can be addressed. */
export const AddressPart = z
  .string()
  .regex(ADDRESS_PART_PATTERN, "use 1-128 letters, digits or . _ @ : / - (it must be addressable in `to`)");

/** What an agent answers to. `broadTargets: false` turns off broadcast, tag and capability delivery. */
export interface AgentAddress {
  agentId: string;
  label?: string | undefined;
  tags: readonly string[];
  capabilities: readonly string[];
  broadTargets?: boolean;
}

/** Every `to` value that reaches this agent; the relay uses it as an SQL `IN (...)` list. */
export function targetsFor(agent: AgentAddress): string[] {
  const out = [agent.agentId];
  if (agent.label) out.push(`label:${agent.label}`);
  if (agent.broadTargets !== false) {
    out.push("broadcast");
    for (const t of agent.tags) out.push(`tag:${t}`);
    for (const c of agent.capabilities) out.push(`cap:${c}`);
  }
  return out;
}

export function matchesAgent(message: Pick<Message, "to" | "resolvedToAgent">, agent: AgentAddress): boolean {
  if (message.resolvedToAgent !== undefined) return message.resolvedToAgent === agent.agentId;
  const to = message.to;
  if (to === agent.agentId) return true;
  if (agent.label !== undefined && to === `label:${agent.label}`) return true;
  if (agent.broadTargets === false) return false;
  if (to === "broadcast") return true;
  if (to.startsWith("tag:")) return agent.tags.includes(to.slice(4));
  if (to.startsWith("cap:")) return agent.capabilities.includes(to.slice(4));
  return false;
}
