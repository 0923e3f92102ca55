// Text that is not a relay message (initial prompt, injected context) travels to the provider as a synthetic
// system message with id 0 (never confirmed, claimed or marked read).
import type { Message } from "../protocol/index.ts";

export function noteMessage(agentId: string, content: string, now: number): Message {
  return {
    id: 0,
    from: "runner",
    to: agentId,
    kind: "system",
    body: content,
    payload: {},
    claimable: false,
    readBy: [],
    reactions: [],
    attachments: [],
    createdAt: now,
  };
}
