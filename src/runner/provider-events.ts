// Folds provider events (from the adapter and from hooks) into work items, task completion and runtime facts.
import type { PermissionRequest, ProviderEvent } from "../providers/adapter.ts";
import { authReason, isAuthReason, looksLikeAuthFailure } from "../providers/auth-check.ts";
import type { TaskTracker } from "./task-tracker.ts";
import type { WorkTracker } from "./work-tracker.ts";

export interface ProviderEventSinkOptions {
  work: WorkTracker;
  tasks: TaskTracker;
  /** The provider went idle: the delivery queue may continue. */
  onIdle: () => void;
  onTimeline: (event: string, data: Record<string, unknown>) => void;
  onConfirmed?: (messageId: number) => void;
}

/** Runtime facts learned from events, for status and heartbeat meta. */
export interface ProviderFacts {
  contextUsage?: { usedTokens: number; maxTokens?: number };
  pendingPermissions: Map<string, PermissionRequest>;
  lastFailure?: string;
}

export class ProviderEventSink {
  readonly facts: ProviderFacts = { pendingPermissions: new Map() };

  constructor(private readonly o: ProviderEventSinkOptions) {}

  handle(event: ProviderEvent): void {
    const { work, tasks } = this.o;
    switch (event.type) {
      case "turn.started":
        work.setCondition("error", false);
        // Someone got a turn going (a login in the session, then a prompt): the auth hold is over.
        if (isAuthReason(work.conditionReason("needs-input"))) work.setCondition("needs-input", false);
        work.add({
          kind: "provider-turn",
          id: "turn",
          metadata: event.turnId ? { turnId: event.turnId } : undefined,
        });
        tasks.providerBusy();
        return;
      case "turn.completed":
        this.turnEnded();
        return;
      case "turn.failed": {
        this.facts.lastFailure = event.reason;
        // Bad or missing credentials fail every turn: hold deliveries (needs-input) so messages stay unread.
        const auth = looksLikeAuthFailure(event.reason);
        const reason = auth ? authReason(event.reason) : event.reason;
        work.setCondition("error", true, reason);
        if (auth) work.setCondition("needs-input", true, reason);
        this.o.onTimeline("provider-turn-failed", { reason: event.reason });
        work.clearKinds(["provider-turn"]);
        return;
      }
      case "subagent.started":
        work.add({ kind: "subagent", id: event.subagentId, label: event.label });
        return;
      case "subagent.stopped":
        work.remove("subagent", event.subagentId);
        return;
      case "compaction.started":
        work.add({ kind: "compacting", id: "compact" });
        return;
      case "compaction.completed":
        work.remove("compacting", "compact");
        return;
      case "needs-input":
        work.setCondition("needs-input", true, event.reason);
        return;
      case "input.resolved":
        if (this.facts.pendingPermissions.size === 0) work.setCondition("needs-input", false);
        return;
      case "permission.requested":
        this.facts.pendingPermissions.set(event.request.approvalId, event.request);
        work.add({ kind: "permission", id: event.request.approvalId, label: event.request.tool });
        work.setCondition("needs-input", true, `permission: ${event.request.tool}`);
        this.o.onTimeline("permission-requested", { ...event.request });
        return;
      case "permission.resolved":
        this.facts.pendingPermissions.delete(event.approvalId);
        work.remove("permission", event.approvalId);
        if (this.facts.pendingPermissions.size === 0) work.setCondition("needs-input", false);
        return;
      case "context.usage":
        this.facts.contextUsage = { usedTokens: event.usedTokens, maxTokens: event.maxTokens };
        return;
      case "delivery.confirmed":
        this.o.onConfirmed?.(event.messageId);
        return;
      case "session.ended":
        this.o.onTimeline("provider-session-ended", { reason: event.reason });
        return;
      case "session.changed":
        this.o.onTimeline("provider-session-changed", { nativeSessionId: event.nativeSessionId });
        return;
      case "exited":
        this.o.onTimeline("provider-exited", { exitCode: event.exitCode, signal: event.signal });
        this.providerGone();
        return;
    }
  }

  /** A new spawn or a restart: nothing of the old session's turns or subagents is still running. */
  providerGone(): void {
    this.o.work.clearKinds(["provider-turn", "subagent", "compacting", "permission"]);
    this.facts.pendingPermissions.clear();
    this.o.work.setCondition("needs-input", false);
  }

  private turnEnded(): void {
    this.o.work.clearKinds(["provider-turn"]);
    void this.o.tasks.providerIdle().finally(() => this.o.onIdle());
  }
}
