// One live Codex thread over one app-server connection: turn queue, busy/idle state, approvals and events.
import type { PermissionDecision } from "../../protocol/index.ts";
import { type Clock, systemClock } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import type { Logger } from "../../util/logger.ts";
import type { AdapterEventBody } from "../adapter.ts";
import { ApprovalTracker, DECISION_TO_CODEX, routeApprovalRequest } from "./approvals.ts";
import { type CodexNotification, parseNotification } from "./notifications.ts";
import type { CodexRpc, RpcNotification, RpcServerRequest } from "./rpc.ts";
import { EmptyResult, ThreadOpenResult, type Turn, TurnStartResult } from "./schemas.ts";
import type { ThreadSettings, TurnState } from "./session-types.ts";
import { type Work, type WorkKind, WorkQueue } from "./work-queue.ts";

export class CodexSession {
  private threadIdValue: string | undefined;
  private turn: TurnState = { kind: "idle" };
  private readonly queue = new WorkQueue();
  private readonly approvals = new ApprovalTracker();
  private readonly turnEndWaiters = new Set<() => void>();
  private lastErrorMessage: string | undefined;
  private closed = false;
  /** While a context clear swaps threads, queued work waits instead of going to the old thread. */
  private paused = false;
  /** Relay message ids of the last turn we started, confirmed when Codex records its user message. */
  private unconfirmed: { turnId: string; messageIds: number[] } | undefined;
  usage: { usedTokens: number; maxTokens?: number } | undefined;

  constructor(
    private readonly rpc: CodexRpc,
    private readonly settings: ThreadSettings,
    private readonly emit: (event: AdapterEventBody) => void,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {
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
    if (resumeId) {
      try {
        const r = await this.rpc.request(
          "thread/resume",
          { threadId: resumeId, excludeTurns: true },
          ThreadOpenResult,
        );
        this.threadIdValue = r.thread.id;
        return { threadId: r.thread.id, resumed: true };
      } catch (e) {
        this.logger.warn(
          { err: e, threadId: resumeId },
          "codex thread could not be resumed; starting a new one",
        );
      }
    }
    const r = await this.rpc.request(
      "thread/start",
      {
        cwd: this.settings.cwd,
        model: this.settings.model,
        developerInstructions: this.settings.developerInstructions,
        ...(this.settings.effort ? { config: { model_reasoning_effort: this.settings.effort } } : {}),
      },
      ThreadOpenResult,
    );
    this.threadIdValue = r.thread.id;
    return { threadId: r.thread.id, resumed: false };
  }

  /** Resolves once the text is a turn Codex accepted; waits for the running turn to complete first (no steering). */
  enqueueTurn(text: string, messageIds: number[], signal: AbortSignal): Promise<void> {
    return this.enqueue("turn", text, messageIds, signal);
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
    const ended = this.waitForTurnEnd(timeoutMs, signal);
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
    try {
      if (work.kind === "compact") {
        await this.rpc.request("thread/compact/start", { threadId }, EmptyResult);
        // Resolved when the compaction turn completes (see onTurnCompleted).
        if (this.turn.kind === "dispatching" && this.turn.work === work) {
          this.turn = { kind: "running", turnId: "", waitingOnApproval: false, work };
        }
        return;
      }
      const r = await this.rpc.request(
        "turn/start",
        { threadId, input: [{ type: "text", text: work.text }] },
        TurnStartResult,
      );
      if (this.turn.kind === "dispatching" && this.turn.work === work) {
        this.turn = { kind: "running", turnId: r.turn.id, waitingOnApproval: false };
      }
      this.unconfirmed = { turnId: r.turn.id, messageIds: work.messageIds };
      work.resolve();
    } catch (e) {
      if (this.turn.kind === "dispatching" && this.turn.work === work) this.turn = { kind: "idle" };
      work.reject(new RunnerError("DELIVERY_FAILED", `codex refused the ${work.kind}`, { cause: e }));
      this.pump();
    }
  }

  private waitForTurnEnd(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        timer.cancel();
        this.turnEndWaiters.delete(done);
        signal?.removeEventListener("abort", done);
        if (signal?.aborted) reject(new RunnerError("ABORTED", "waiting for the turn to end was aborted"));
        else resolve();
      };
      const timer = this.clock.setTimeout(done, timeoutMs);
      this.turnEndWaiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
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
    for (const w of [...this.turnEndWaiters]) w();
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
    const unconfirmed = this.unconfirmed;
    if (item.type === "userMessage" && unconfirmed && unconfirmed.turnId === n.turnId) {
      this.unconfirmed = undefined;
      for (const messageId of unconfirmed.messageIds) this.emit({ type: "delivery.confirmed", messageId });
    }
    if (item.type === "contextCompaction") {
      this.emit({ type: n.phase === "started" ? "compaction.started" : "compaction.completed" });
    }
  }
}
