// Everything the runner does about its provider's events and the supervisor's state changes: work items, task
// completion, delivery confirmations and re-delivery, the saved session, runtime facts, status.
import type { Logger } from "pino";
import type { PermissionRequest, ProviderEvent } from "../providers/adapter.ts";
import { authReason, isAuthReason, looksLikeAuthFailure } from "../providers/auth-check.ts";
import { errorMessage } from "../util/errors.ts";
import type { DeliveryGate } from "./delivery-gate.ts";
import type { DeliveryQueue } from "./delivery-queue.ts";
import type { ProviderSupervisor, SupervisorState } from "./provider-supervisor.ts";
import type { ReceiptReporter } from "./receipt-reporter.ts";
import type { SessionStore } from "./session-store.ts";
import type { StatusPublisher } from "./status-publisher.ts";
import type { TaskTracker } from "./task-tracker.ts";
import type { UsageMeter } from "./usage-meter.ts";
import type { WorkTracker } from "./work-tracker.ts";

/** Events that come only after the model answered a request (so it read everything it was given before). */
const ANSWERS = new Set<ProviderEvent["type"]>([
  "context.usage",
  "usage.totals",
  "permission.requested",
  "turn.completed",
]);

/** The needs-input reason of an agent that spent its budget (--max-cost-usd). */
export const BUDGET_REASON = "budget";

export interface ProviderEventSinkOptions {
  work: WorkTracker;
  tasks: Pick<TaskTracker, "providerBusy" | "providerIdle" | "providerFailed">;
  queue: Pick<DeliveryQueue, "kick" | "confirmed" | "providerExited">;
  gate: Pick<DeliveryGate, "turnStarted">;
  status: Pick<StatusPublisher, "publish" | "timelineEvent">;
  supervisor: Pick<ProviderSupervisor, "nativeSessionId">;
  /** Where the provider's native session id is kept so a restarted runner resumes it. */
  sessionStore?: Pick<SessionStore, "save">;
  /** Delivery receipts: a model's answer makes what it was given `seen`. */
  receipts: Pick<ReceiptReporter, "modelAnswered">;
  /** The agent's running tokens and cost, and its budget. */
  usage: Pick<UsageMeter, "report" | "budgetReached">;
  /** Rewrite the runner info file (a new spawn has a new provider session id). */
  writeInfo: () => Promise<void>;
  logger: Logger;
}

/** Runtime facts learned from events, for status and heartbeat meta. */
export interface ProviderFacts {
  contextUsage?: { usedTokens: number; maxTokens?: number };
  pendingPermissions: Map<string, PermissionRequest>;
  lastFailure?: string;
  /** The conversation's running token totals, from `usage.totals` events (a task's usage when the adapter has no reader). */
  usageTotals?: { inputTokens: number; outputTokens: number };
}

export class ProviderEventSink {
  readonly facts: ProviderFacts = { pendingPermissions: new Map() };

  constructor(private readonly o: ProviderEventSinkOptions) {
    // A budget spent in an earlier run (the meter's totals are kept on disk) holds new work from the start.
    if (o.usage.budgetReached) o.work.setCondition("needs-input", true, BUDGET_REASON);
  }

  /** An event of the current provider session (the supervisor filters out the others). */
  onEvent(event: ProviderEvent): void {
    if (event.type === "turn.started") this.o.gate.turnStarted();
    if (event.type === "session.changed") this.saveSession(event.nativeSessionId);
    // Written but never confirmed: the next provider session gets them again.
    if (event.type === "exited") this.o.queue.providerExited();
    if (ANSWERS.has(event.type)) this.o.receipts.modelAnswered();
    this.handle(event);
    this.o.status.publish();
  }

  onSupervisorState(state: SupervisorState): void {
    const { work } = this.o;
    work.setCondition("starting", state === "spawning");
    if (state === "running") {
      const native = this.o.supervisor.nativeSessionId;
      if (native) this.saveSession(native);
      work.setCondition("offline", false);
      work.setCondition("error", false);
      void this.o.writeInfo();
      this.o.queue.kick();
    } else if (state === "restart-wait") {
      work.setCondition("offline", true, "provider restarting");
    } else if (state === "gave-up" || state === "failed") {
      work.setCondition("error", true, `provider ${state}`);
    }
    this.o.status.publish();
  }

  private handle(event: ProviderEvent): void {
    const { work, tasks } = this.o;
    switch (event.type) {
      case "turn.started":
        work.setCondition("error", false);
        // Someone got a turn going (a login in the session, then a prompt): the auth hold is over.
        if (isAuthReason(work.conditionReason("needs-input"))) this.clearNeedsInput();
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
        this.timeline("provider-turn-failed", { reason: event.reason });
        work.clearKinds(["provider-turn"]);
        // The tasks of the failed turn fail at once, with the provider's reason.
        void this.o.tasks.providerFailed(event.reason).finally(() => this.o.queue.kick());
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
        if (this.facts.pendingPermissions.size === 0) this.clearNeedsInput();
        return;
      case "permission.requested":
        this.facts.pendingPermissions.set(event.request.approvalId, event.request);
        work.add({ kind: "permission", id: event.request.approvalId, label: event.request.tool });
        work.setCondition("needs-input", true, `permission: ${event.request.tool}`);
        this.timeline("permission-requested", { ...event.request });
        return;
      case "permission.resolved":
        this.facts.pendingPermissions.delete(event.approvalId);
        work.remove("permission", event.approvalId);
        if (this.facts.pendingPermissions.size === 0) this.clearNeedsInput();
        return;
      case "context.usage":
        this.facts.contextUsage = { usedTokens: event.usedTokens, maxTokens: event.maxTokens };
        return;
      case "usage.totals":
        this.usageReported(event);
        return;
      case "delivery.confirmed":
        this.o.queue.confirmed(event.messageId, event.midTurn === true);
        return;
      case "session.ended":
        this.timeline("provider-session-ended", { reason: event.reason });
        return;
      case "session.changed":
        this.timeline("provider-session-changed", { nativeSessionId: event.nativeSessionId });
        return;
      case "exited":
        this.timeline("provider-exited", { exitCode: event.exitCode, signal: event.signal });
        this.providerGone();
        // A provider that crashed (or a program that failed) mid-task failed that task's turn.
        if (event.unexpected && event.exitCode !== 0) {
          const how = event.signal ? `signal ${event.signal}` : `exit code ${event.exitCode}`;
          void this.o.tasks.providerFailed(`provider exited (${how})`);
        }
        return;
    }
  }

  /** A new spawn or a restart: nothing of the old session's turns or subagents is still running. */
  providerGone(): void {
    this.o.work.clearKinds(["provider-turn", "subagent", "compacting", "permission"]);
    this.facts.pendingPermissions.clear();
    this.clearNeedsInput();
  }

  /** Nothing asks for input any more, unless the budget is spent: that hold lasts until the runner restarts. */
  private clearNeedsInput(): void {
    if (this.o.usage.budgetReached) this.o.work.setCondition("needs-input", true, BUDGET_REASON);
    else this.o.work.setCondition("needs-input", false);
  }

  private usageReported(e: Extract<ProviderEvent, { type: "usage.totals" }>): void {
    this.facts.usageTotals = { inputTokens: e.inputTokens, outputTokens: e.outputTokens };
    const was = this.o.usage.budgetReached;
    const conversation = this.o.supervisor.nativeSessionId ?? e.providerSessionId;
    const { inputTokens, outputTokens, costUsd } = e;
    const grew = this.o.usage.report(conversation, {
      inputTokens,
      outputTokens,
      ...(costUsd !== undefined ? { costUsd } : {}),
    });
    if (grew) this.o.receipts.modelAnswered();
    if (!was && this.o.usage.budgetReached) {
      this.o.work.setCondition("needs-input", true, BUDGET_REASON);
      this.timeline("budget-reached", {});
    }
  }

  private turnEnded(): void {
    this.o.work.clearKinds(["provider-turn"]);
    // The provider went idle: tasks it worked on are done, and the delivery queue may continue.
    void this.o.tasks.providerIdle().finally(() => this.o.queue.kick());
  }

  private timeline(event: string, data: Record<string, unknown>): void {
    this.o.status.timelineEvent(event, data);
  }

  private saveSession(nativeSessionId: string): void {
    this.o.sessionStore?.save(nativeSessionId).catch((e) => {
      this.o.logger.warn({ err: errorMessage(e) }, "could not save the provider session id");
    });
  }
}
