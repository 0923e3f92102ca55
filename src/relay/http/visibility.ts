// Who may read a message or download an attachment: root always; a runtime token only what concerns its agent.
import { type AgentAddress, type Message, matchesAgent } from "../../protocol/index.ts";
import type { Principal } from "../auth/authenticate.ts";
import type { Relay } from "./context.ts";

/** Messages checked per query while looking for one that makes an attachment visible. */
const REFERENCE_PAGE = 200;

/**
 * A runtime token may read a message its agent sent, one addressed to it (by its registered id, label,
 * tags and capabilities — an unregistered agent answers to its id and `broadcast` only), one it holds or
 * held a claim on, or one it marked read (so a message stays readable after the agent drops a tag).
 */
export async function mayReadMessage(relay: Relay, principal: Principal, message: Message): Promise<boolean> {
  if (principal.kind === "root") return true;
  const agentId = principal.claims.agentId;
  if (readsAsParty(message, agentId)) return true;
  return matchesAgent(message, await addressOf(relay, agentId));
}

/** mayReadMessage for each message, reading the agent's row at most once. */
export async function readableBy(
  relay: Relay,
  principal: Principal,
  messages: Message[],
): Promise<boolean[]> {
  if (principal.kind === "root") return messages.map(() => true);
  const agentId = principal.claims.agentId;
  let address: AgentAddress | undefined;
  const out: boolean[] = [];
  for (const m of messages) {
    if (readsAsParty(m, agentId)) {
      out.push(true);
      continue;
    }
    address ??= await addressOf(relay, agentId);
    out.push(matchesAgent(m, address));
  }
  return out;
}

/** Sender, claimer or reader: the agent may read the message whatever its addressing. */
function readsAsParty(message: Message, agentId: string): boolean {
  return message.from === agentId || message.claimedBy === agentId || message.readBy.includes(agentId);
}

/**
 * What `agentId` answers to, from its registered row; an unregistered agent to its id and `broadcast` only.
 * A runtime token may mark read only what is from, claimed by or addressed to its agent (else read marks would
 * get around the read check of GET /v1/messages/:id).
 */
export async function addressOf(relay: Relay, agentId: string): Promise<AgentAddress> {
  const agent = await relay.store.agents.get(agentId);
  return agent
    ? { agentId, label: agent.label, tags: agent.tags, capabilities: agent.capabilities }
    : { agentId, tags: [], capabilities: [] };
}

/** The single and batch read marks share this rule: root always; a runtime token per addressOf's comment. */
export function mayMarkRead(
  principal: Principal,
  message: Pick<Message, "from" | "claimedBy" | "to" | "resolvedToAgent">,
  address: AgentAddress,
): boolean {
  if (principal.kind === "root") return true;
  const agentId = address.agentId;
  return message.from === agentId || message.claimedBy === agentId || matchesAgent(message, address);
}

/** A runtime token may download what its agent uploaded, or what any message it may read references. */
export async function mayReadAttachment(
  relay: Relay,
  principal: Principal,
  attachmentId: string,
): Promise<boolean> {
  if (principal.kind === "root") return true;
  if ((await relay.store.attachments.uploader(attachmentId)) === principal.claims.agentId) return true;
  let afterId = 0;
  for (;;) {
    const page = await relay.store.messages.referencing(attachmentId, afterId, REFERENCE_PAGE);
    if ((await readableBy(relay, principal, page)).some(Boolean)) return true;
    if (page.length < REFERENCE_PAGE) return false;
    afterId = page[page.length - 1]!.id;
  }
}
