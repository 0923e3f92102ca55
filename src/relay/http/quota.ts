// Per-agent quotas on what a runtime token can make the relay store: a rate of creates and attachment bytes.
// Root is exempt from both: it is the operator, and could mint itself another agent's token anyway.
import { actingAgent } from "../auth/authenticate.ts";
import type { Call } from "./context.ts";
import { rateLimited, relayError } from "./errors.ts";

/**
 * Take one create from the caller's agent's bucket; 429 with Retry-After when it is empty. A create is
 * anything that adds rows: a message, an upload, a task or a task status change, a command, a reaction.
 */
export function chargeCreate({ relay, principal }: Call): void {
  if (principal.kind !== "runtime") return;
  const agentId = principal.claims.agentId;
  const waitMs = relay.createLimiter.take(agentId);
  if (waitMs === 0) return;
  const { sendRatePerSecond: rate, sendBurst: burst } = relay.quotas;
  throw rateLimited(
    `agent '${agentId}' is over its rate of ${rate} creates a second (burst ${burst}); retry in ${waitMs} ms`,
    waitMs,
  );
}

/** 413 when `incoming` more bytes would take the caller's agent over its attachment quota. */
export async function assertAttachmentQuota({ relay, principal }: Call, incoming: number): Promise<void> {
  const quota = relay.quotas.attachmentQuotaBytes;
  if (principal.kind !== "runtime" || quota <= 0) return;
  const agentId = actingAgent(principal);
  const used = await relay.store.attachments.usedBy(agentId);
  if (used + incoming <= quota) return;
  throw relayError(
    "payload_too_large",
    `agent '${agentId}' stores ${used} bytes of attachments; ${incoming} more would pass its quota of ${quota} ` +
      "bytes (attachments no message uses are removed after a grace period, old messages by retention)",
    { limitBytes: quota, usedBytes: used },
  );
}
