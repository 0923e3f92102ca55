// Maps a validated `POST /v1/provider/status` update onto the runner's ProviderEvent union.
import type { ProviderEvent } from "../providers/adapter.ts";
import type { ProviderStatusUpdate } from "./schemas.ts";

export function statusUpdateToEvent(update: ProviderStatusUpdate): ProviderEvent {
  const providerSessionId = update.providerSessionId;
  const turn = (turnId: string | undefined) => (turnId !== undefined ? { turnId } : {});
  switch (update.event) {
    case "turn-started":
      return { type: "turn.started", providerSessionId, ...turn(update.turnId) };
    case "turn-stopped":
      return { type: "turn.completed", providerSessionId, ...turn(update.turnId) };
    case "subagent-started":
      return {
        type: "subagent.started",
        providerSessionId,
        subagentId: update.subagentId,
        ...(update.label !== undefined ? { label: update.label } : {}),
      };
    case "subagent-stopped":
      return { type: "subagent.stopped", providerSessionId, subagentId: update.subagentId };
    case "compaction-started":
      return { type: "compaction.started", providerSessionId };
    case "compaction-completed":
      return { type: "compaction.completed", providerSessionId };
    case "failure":
      return { type: "turn.failed", providerSessionId, reason: update.reason, ...turn(update.turnId) };
    case "session-ended":
      return { type: "session.ended", providerSessionId, reason: update.reason };
    case "needs-input":
      return {
        type: "needs-input",
        providerSessionId,
        reason: update.reason,
        ...(update.screen !== undefined ? { screen: update.screen } : {}),
      };
    case "input-resolved":
      return { type: "input.resolved", providerSessionId };
    case "context-usage":
      return {
        type: "context.usage",
        providerSessionId,
        usedTokens: update.usedTokens,
        ...(update.maxTokens !== undefined ? { maxTokens: update.maxTokens } : {}),
      };
    case "delivery-confirmed":
      return { type: "delivery.confirmed", providerSessionId, messageId: update.messageId };
  }
}
