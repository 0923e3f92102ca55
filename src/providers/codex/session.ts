// One live Codex thread over one app-server connection: turn queue, busy/idle state, approvals and events.
import type { PermissionDecision } from "../../protocol/index.ts";
import { type Clock, systemClock } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import type { Logger } from "../../util/logger.ts";
import type { AdapterEventBody } from "../adapter.ts";
import { ApprovalTracker, DECISION_TO_CODEX, routeApprovalRequest } from "./approvals.ts";
import { PendingConfirmations, type SentInput } from "./confirmations.ts";
import { type CodexNotification, parseNotification } from "./notifications.ts";
import type { CodexRpc, RpcNotification, RpcServerRequest } from "./rpc.ts";
import { EmptyResult, type Turn, TurnStartResult } from "./schemas.ts";
import type { ThreadSettings, TurnState } from "./session-types.ts";
import { steerTurn } from "./steer.ts";
import { openThread } from "./thread.ts";
import { TurnEndWaiters } from "./turn-end.ts";
import { type Work, type WorkKind, WorkQueue } from "./work-queue.ts";

export class CodexSession {
  private threadIdValue: string | undefined;
  private turn: TurnState = { kind: "idle" };
  private readonly queue = new WorkQueue();
  private readonly approvals = new ApprovalTracker();
  private readonly turnEnd: TurnEndWaiters;
  private lastErrorMessage: string | undefined;
  private closed = false;
  /** While a context clear swaps threads, queued work waits instead of going to the old thread. */
  private paused = false;
  /** Relay messages given to Codex (a turn started or steered), confirmed when Codex records their user message. */
  private readonly confirmations = new PendingConfirmations();
  usage: { usedTokens: number; maxTokens?: number } | undefined;

  constructor(
    private readonly rpc: CodexRpc,
    private readonly settings: ThreadSettings,
    private readonly emit: (event: AdapterEventBody) => void,
    private readonly logger: Logger,
    clock: Clock = systemClock,
  ) {
    this.turnEnd = new TurnEndWaiters(clock);
    rpc.onNotification((n) => this.onNotification(n));
    rpc.setServerRequestHandler((r) => this.onServerRequest(r));
  }

  get threadId(): string | undefined {
    return this.threadIdValue;
  }
  get isBusy(): boolean {
    return this.turn.kind !== "idle";
  }
  get activeTurnId(): string | undefined {
    return this.turn.kind === "running" ? this.turn.turnId : undefined;
  }

  /** Start a new thread, or resume `resumeId`; a thread Codex no longer knows falls back to a new one. */
  async openThread(resumeId?: string): Promise<{ threadId: string; resumed: boolean }> {
    const opened = await openThread(this.rpc, this.settings, this.logger, resumeId);
    this.threadIdValue = opened.threadId;
    return opened;
  }

  /** Resolves once the text is a turn Codex accepted; waits for the running turn to complete first (no steering). */
  enqueueTurn(text: string, messageIds: number[], signal: AbortSignal): Promise<void> {
    return this.enqueue("turn", text, messageIds, signal);
  }

  /**
   * Into the running turn (`turn/steer` against its id) when a turn runs; otherwise — idle, compacting, or a turn
   * that ended just before Codex got the steer (it refuses the expected turn id) — as the next turn. Exactly one of
   * the two. Resolves once Codex took it either way.
   */
  async steerOrEnqueue(
    text: string,
    messageIds: number[],
    signal: AbortSignal,
  ): Promise<"steered" | "queued"> {
    if (this.turn.kind === "dispatching") await this.turn.dispatched;
    const threadId = this.threadIdValue;
    const turn = this.turn.kind === "running" && this.turn.work?.kind !== "compact" ? this.turn : undefined;
    if (this.closed || this.paused || !threadId || !turn?.turnId) {
      await this.enqueueTurn(text, messageIds, signal);
      return "queued";
    }
    const sent = this.confirmations.expect(messageIds, true, turn.turnId);
    const request = { threadId, turnId: turn.turnId, text, clientId: sent.clientId };
    const outcome = await steerTurn(this.rpc, request, signal).catch((e) => {
      this.confirmations.withdraw(sent);
      throw new RunnerError("DELIVERY_FAILED", "codex did not answer turn/steer", { cause: e });
    });
    // Unanswered, it may have landed: never sent again (unconfirmed, the runner reports it ambiguous).
    if (outcome !== "refused") return "steered";
    this.confirmations.withdraw(sent);
    this.logger.info(
      { turnId: turn.turnId, messageIds },
      "codex refused the steer (turn over); sent as a turn",
    );
    await this.enqueueTurn(text, messageIds, signal);
    return "queued";
  }

  /** Runs a manual compaction once the thread is idle; resolves when the compaction turn completes. */
  compact(signal: AbortSignal): Promise<void> {
    return this.enqueue("compact", "", [], signal);
  }

  /** Interrupt the running turn (if any) and start a new, empty thread; queued work goes to the new thread. */
  async clearContext(signal: AbortSignal): Promise<string> {
    this.paused = true;
    try {
      await this.interruptActiveTurn(10_000, signal);
      this.usage = undefined;
      const { threadId } = await this.openThread();
      return threadId;
    } finally {
      this.paused = false;
      this.pump();
    }
  }

  /** Answer an approval Codex asked for; false when it is unknown or already settled. */
  respond(approvalId: string, decision: PermissionDecision): boolean {
    const rpcId = this.approvals.take(approvalId);
    if (rpcId === undefined) return false;
    this.rpc.respond(rpcId, { decision: DECISION_TO_CODEX[decision] });
    this.emit({ type: "permission.resolved", approvalId });
    return true;
  }

  /** Ask Codex to stop the running turn and wait (bounded) for it to report the end. */
  async interruptActiveTurn(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const threadId = this.threadIdValue;
    // A turn still being started is interrupted once Codex has answered with its id.
    if (this.turn.kind === "dispatching") await this.turn.dispatched;
    if (this.turn.kind === "idle" || !threadId) return;
    const ended = this.turnEnd.wait(timeoutMs, signal);
    if (this.turn.kind === "running") {
      await this.rpc.request("turn/interrupt", { threadId, turnId: this.turn.turnId }, EmptyResult, {
        timeoutMs,
        signal,
      });
    }
    await ended;
  }

  /** Reject queued work and forget approvals; the connection is going away. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const error = new RunnerError("DELIVERY_FAILED", `codex session closed before delivery: ${reason}`);
    this.queue.rejectAll(error);
    if (this.turn.kind === "dispatching") this.turn.work.reject(error);
    if (this.turn.kind === "running" && this.turn.work) this.turn.work.reject(error);
    this.turn = { kind: "idle" };
    this.confirmations.clear();
    for (const id of this.approvals.drainAll()) this.emit({ type: "permission.resolved", approvalId: id });
  }

  private enqueue(kind: WorkKind, text: string, messageIds: number[], signal: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new RunnerError("DELIVERY_FAILED", "codex session is closed"));
    const done = this.queue.push(kind, text, messageIds, signal);
    this.pump();
    return done;
  }

  /** Start the next queued work when idle; consecutive turns are merged into one. */
  private pump(): void {
    if (
      this.closed ||
      this.paused ||
      this.turn.kind !== "idle" ||
      this.queue.length === 0 ||
      !this.threadIdValue
    )
      return;
    const work = this.queue.takeNext() as Work;
    this.turn = { kind: "dispatching", work, dispatched: this.dispatch(work, this.threadIdValue) };
  }

  private async dispatch(work: Work, threadId: string): Promise<void> {
    let sent: SentInput | undefined;
    try {
      if (work.kind === "compact") {
        await this.rpc.request("thread/compact/start", { threadId }, EmptyResult);
        // Resolved when the compaction turn completes (see onTurnCompleted).
        if (this.turn.kind === "dispatching" && this.turn.work === work) {
          this.turn = { kind: "running", turnId: "", waitingOnApproval: false, work };
        }
        return;
      }
      sent = this.confirmations.expect(work.messageIds, false);
      const input = [{ type: "text", text: work.text }];
      const params = { threadId, clientUserMessageId: sent.clientId, input };
      const r = await this.rpc.request("turn/start", params, TurnStartResult);
      if (this.turn.kind === "dispatching" && this.turn.work === work) {
        this.turn = { kind: "running", turnId: r.turn.id, waitingOnApproval: false };
      }
      sent.turnId = r.turn.id;
      work.resolve();
    } catch (e) {
      if (sent) this.confirmations.withdraw(sent);
      if (this.turn.kind === "dispatching" && this.turn.work === work) this.turn = { kind: "idle" };
      work.reject(new RunnerError("DELIVERY_FAILED", `codex refused the ${work.kind}`, { cause: e }));
      this.pump();
    }
  }

  private onServerRequest(request: RpcServerRequest): boolean {
    return routeApprovalRequest(request, {
      tracker: this.approvals,
      threadId: this.threadIdValue,
      decline: (id) => this.rpc.respond(id, { decision: "decline" }),
      emit: this.emit,
      logger: this.logger,
    });
  }

  private onNotification(raw: RpcNotification): void {
    const n = parseNotification(raw);
    // Filter by thread: title side-threads and other clients' threads share this connection.
    if (!n || n.threadId !== this.threadIdValue) return;
    switch (n.kind) {
      case "turn.started":
        this.onTurnStarted(n.turn);
        return;
      case "turn.completed":
        this.onTurnCompleted(n.turn);
        return;
      case "status":
        this.onStatusChanged(n.waitingOnApproval);
        return;
      case "usage":
        this.usage = { usedTokens: n.usedTokens, maxTokens: n.maxTokens };
        this.emit({ type: "context.usage", ...this.usage });
        this.emit({ type: "usage.totals", ...n.totals });
        return;
      case "error":
        if (!n.willRetry) this.lastErrorMessage = n.message;
        return;
      case "item":
        this.onItem(n);
        return;
      case "request.resolved": {
        const approvalId = this.approvals.resolvedByRpcId(n.requestId);
        if (approvalId) this.emit({ type: "permission.resolved", approvalId });
        return;
      }
    }
  }

  private onTurnStarted(turn: Turn): void {
    const work = this.turn.kind !== "idle" ? this.turn.work : undefined;
    // A turn typed by a person in an attached TUI is busy time too. A turn's own work is settled by dispatch().
    this.turn = {
      kind: "running",
      turnId: turn.id,
      waitingOnApproval: false,
      work: work?.kind === "compact" ? work : undefined,
    };
    this.lastErrorMessage = undefined;
    this.emit({ type: "turn.started", turnId: turn.id });
  }

  private onTurnCompleted(turn: Turn): void {
    const work = this.turn.kind !== "idle" ? this.turn.work : undefined;
    if (this.turn.kind === "running" && this.turn.waitingOnApproval) this.emit({ type: "input.resolved" });
    this.turn = { kind: "idle" };
    for (const id of this.approvals.drainTurn(turn.id))
      this.emit({ type: "permission.resolved", approvalId: id });
    if (turn.status === "failed") {
      const reason = turn.error?.message ?? this.lastErrorMessage ?? "turn failed";
      this.emit({ type: "turn.failed", turnId: turn.id, reason });
      if (work?.kind === "compact")
        work.reject(new RunnerError("DELIVERY_FAILED", `compaction failed: ${reason}`));
    } else {
      // Interrupted turns (a person's Esc, an abort decision) end normally: nothing failed.
      this.emit({ type: "turn.completed", turnId: turn.id });
      if (work?.kind === "compact") work.resolve();
    }
    this.turnEnd.release();
    this.pump();
  }

  private onStatusChanged(waiting: boolean): void {
    if (this.turn.kind !== "running" || waiting === this.turn.waitingOnApproval) return;
    this.turn.waitingOnApproval = waiting;
    this.emit(waiting ? { type: "needs-input", reason: "waiting for approval" } : { type: "input.resolved" });
  }

  private onItem(n: Extract<CodexNotification, { kind: "item" }>): void {
    const { item } = n;
    if (n.phase === "started") this.approvals.noteItem(item);
    const sent = item.type === "userMessage" ? this.confirmations.take(n.turnId, item.clientId) : undefined;
    // A steer Codex carried over into a turn of its own (the turn ended first) reached the model at a boundary.
    const midTurn = sent?.midTurn === true && (n.turnId === undefined || n.turnId === sent.turnId);
    for (const messageId of sent?.messageIds ?? [])
      this.emit({ type: "delivery.confirmed", messageId, ...(midTurn ? { midTurn } : {}) });
    if (item.type === "contextCompaction") {
      this.emit({ type: n.phase === "started" ? "compaction.started" : "compaction.completed" });
    }
  }
}
