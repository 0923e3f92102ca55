// Codex app-server notifications the provider acts on, parsed with zod into one typed union (others are ignored).
import type { z } from "zod";
import type { RpcId, RpcNotification } from "./rpc.ts";
import {
  ErrorNotification,
  ItemNotification,
  ServerRequestResolved,
  ThreadStatusChanged,
  TokenUsageUpdated,
  type Turn,
  TurnNotification,
} from "./schemas.ts";

type Item = z.infer<typeof ItemNotification>["item"];

export type CodexNotification = { threadId: string } & (
  | { kind: "turn.started"; turn: Turn }
  | { kind: "turn.completed"; turn: Turn }
  | { kind: "status"; active: boolean; waitingOnApproval: boolean }
  | {
      kind: "usage";
      usedTokens: number;
      maxTokens?: number;
      totals: { inputTokens: number; outputTokens: number };
    }
  | { kind: "error"; message: string; willRetry: boolean }
  | { kind: "item"; phase: "started" | "completed"; turnId?: string; item: Item }
  | { kind: "request.resolved"; requestId: RpcId }
);

/** The typed notification, or undefined for methods we do not use and payloads that fail validation. */
export function parseNotification(n: RpcNotification): CodexNotification | undefined {
  switch (n.method) {
    case "turn/started":
    case "turn/completed": {
      const p = TurnNotification.safeParse(n.params);
      if (!p.success) return undefined;
      const kind = n.method === "turn/started" ? "turn.started" : "turn.completed";
      return { kind, threadId: p.data.threadId, turn: p.data.turn };
    }
    case "thread/status/changed": {
      const p = ThreadStatusChanged.safeParse(n.params);
      if (!p.success) return undefined;
      const { status } = p.data;
      const waitingOnApproval = status.type === "active" && status.activeFlags.includes("waitingOnApproval");
      return {
        kind: "status",
        threadId: p.data.threadId,
        active: status.type === "active",
        waitingOnApproval,
      };
    }
    case "thread/tokenUsage/updated": {
      const p = TokenUsageUpdated.safeParse(n.params);
      if (!p.success) return undefined;
      const { last, total, modelContextWindow } = p.data.tokenUsage;
      // Context fill is what the last request sent, not the running total.
      return {
        kind: "usage",
        threadId: p.data.threadId,
        usedTokens: last.inputTokens,
        maxTokens: modelContextWindow ?? undefined,
        // The thread's running totals, for a task's usage (output is what the total has beyond the input).
        totals: {
          inputTokens: total.inputTokens,
          outputTokens: Math.max(0, total.totalTokens - total.inputTokens),
        },
      };
    }
    case "error": {
      const p = ErrorNotification.safeParse(n.params);
      if (!p.success) return undefined;
      return {
        kind: "error",
        threadId: p.data.threadId,
        message: p.data.error.message,
        willRetry: p.data.willRetry,
      };
    }
    case "item/started":
    case "item/completed": {
      const p = ItemNotification.safeParse(n.params);
      if (!p.success) return undefined;
      const phase = n.method === "item/started" ? "started" : "completed";
      return { kind: "item", phase, threadId: p.data.threadId, turnId: p.data.turnId, item: p.data.item };
    }
    case "serverRequest/resolved": {
      const p = ServerRequestResolved.safeParse(n.params);
      return p.success
        ? { kind: "request.resolved", threadId: p.data.threadId, requestId: p.data.requestId }
        : undefined;
    }
    default:
      return undefined;
  }
}
