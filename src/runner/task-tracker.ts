// Task-linked deliveries: holds their claims, watches their turns, time limits and stalls, and ends each task with an outcome.
import type { Logger } from "pino";
import type { TaskOutcome } from "../protocol/index.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import type { RelayApi } from "./ports.ts";
import { renewTaskClaims } from "./task-claims.ts";
import {
  decideOutcome,
  type EndCause,
  hasEnded,
  nudgeText,
  reportOutcome,
  type TaskRun,
  type TaskStart,
  taskStart,
  type UsageTotals,
  usageAtEnd,
} from "./task-ending.ts";

/**
 * waiting: delivered while the provider was idle, no turn seen yet.
 * working: a turn started after the delivery — or one was running when it arrived, whose end may handle it.
 * unreported: explicit completion only — the turn ended and the agent has not reported the task yet.
 * ending: the outcome is being decided or sent; a send that failed is retried on the next idle.
 */
type TaskPhase = "waiting" | "working" | "unreported" | "ending";

interface TrackedTask extends TaskRun {
  messageId: number;
  /** Whether the runner holds the message's claim (claimable messages) until the task completes. */
  claimHeld: boolean;
  phase: TaskPhase;
  /** The outcome decided and owed to the relay (set while `ending`); `sending` while a report is on its way. */
  outcome?: TaskOutcome;
  sending?: boolean;
  limitTimer?: TimerHandle;
  stallTimer?: TimerHandle;
  /** Explicit completion: the agent was nudged once about this task. */
  nudged: boolean;
}

/** auto: the turn's end completes the task (the default); explicit: the agent must report it (`task done …`). */
export type TaskCompletion = "auto" | "explicit";

export interface TaskTrackerOptions {
  agentId: () => string;
  relay: Pick<RelayApi, "setTaskStatus" | "getTask" | "completeClaim" | "renewClaim" | "releaseClaim">;
  logger: Logger;
  clock?: Clock;
  /** The provider's working directory: `changes` are measured there when it is a git repository. */
  cwd?: string;
  completion?: TaskCompletion;
  /** Explicit completion: idle this long with an unreported task → one nudge; that long again → failed `stalled`. */
  stallAfterMs?: number;
  /** Interrupt the provider's current turn (a task's time limit passed). */
  interrupt?: () => Promise<void>;
  /** The conversation's token totals so far (ProviderAdapter.usageTotals), for the outcome's `usage`. */
  usageTotals?: () => Promise<UsageTotals | undefined>;
  /** Hand the agent a note (the stall nudge). */
  nudge?: (text: string) => Promise<void>;
  /** Work-item hooks: a tracked task keeps the agent busy until it is done. */
  onStart?: (taskId: number, messageId: number) => void;
  onEnd?: (taskId: number) => void;
}

export const DEFAULT_STALL_AFTER_MS = 10 * 60_000;
const MAX_PREPARED = 64;

export class TaskTracker {
  private readonly tasks = new Map<number, TrackedTask>();
  /** What a task started from, taken before its delivery, by task id, until the task is tracked. */
  private readonly starts = new Map<number, TaskStart>();
  private readonly clock: Clock;

  constructor(private readonly o: TaskTrackerOptions) {
    this.clock = o.clock ?? systemClock;
  }

  get size(): number {
    return this.tasks.size;
  }

  has(taskId: number): boolean {
    return this.tasks.has(taskId);
  }

  /** Message ids whose claims the runner holds for open tasks (the claim-renewal timer renews these). */
  heldClaims(): number[] {
    return [...this.tasks.values()].filter((t) => t.claimHeld).map((t) => t.messageId);
  }

  /** The tasks held now and their messages (recorded so a runner restarted after a crash can resume them). */
  held(): { taskId: number; messageId: number; claimHeld: boolean }[] {
    return [...this.tasks.values()].map(({ taskId, messageId, claimHeld }) => ({
      taskId,
      messageId,
      claimHeld,
    }));
  }

  /**
   * Take the task's start snapshot of the workspace; the delivery awaits it, so the agent cannot change anything
   * before it is taken. `track` picks it up (or takes one itself for a task delivered without this step).
   */
  async prepare(taskId: number): Promise<void> {
    // Prepared but never tracked (the message was refused): bounded, oldest forgotten first.
    if (this.starts.size >= MAX_PREPARED) this.starts.delete(this.starts.keys().next().value!);
    const start = this.startOf();
    this.starts.set(taskId, start);
    await Promise.all([start.snapshot, start.usageAtStart]);
  }

  track(
    taskId: number,
    messageId: number,
    claimHeld: boolean,
    providerBusy: boolean,
    timeLimitSeconds?: number,
  ): void {
    if (this.tasks.has(taskId)) return;
    const t: TrackedTask = {
      taskId,
      messageId,
      claimHeld,
      phase: providerBusy ? "working" : "waiting",
      startedAt: this.clock.now(),
      ...(this.starts.get(taskId) ?? this.startOf()),
      nudged: false,
    };
    if (timeLimitSeconds !== undefined) {
      t.limitTimer = this.clock.setTimeout(() => void this.timeLimitPassed(t), timeLimitSeconds * 1000);
    }
    this.starts.delete(taskId);
    this.tasks.set(taskId, t);
    this.o.onStart?.(taskId, messageId);
  }

  /** The provider started a turn: waiting tasks are worked on, and an unreported one is no longer idle. */
  providerBusy(): void {
    for (const t of this.tasks.values()) {
      if (t.phase !== "waiting" && t.phase !== "unreported") continue;
      t.phase = "working";
      t.stallTimer?.cancel();
      t.stallTimer = undefined;
    }
  }

  /**
   * The provider went idle. auto: every task that saw work since its delivery is complete. explicit: it waits for
   * the agent's report (the stall timer runs) unless the agent already reported it. Owed reports are retried.
   */
  async providerIdle(): Promise<void> {
    const due = [...this.tasks.values()].filter((t) => t.phase === "working" || t.phase === "ending");
    await Promise.all(
      due.map((t) => {
        if (t.phase === "ending") return this.send(t);
        if (this.o.completion === "explicit") return this.awaitReport(t);
        return this.end(t, { kind: "turn-ended" });
      }),
    );
  }

  /** The provider's turn failed (StopFailure, an API error, `turn/failed`): its tasks fail at once with the reason. */
  async providerFailed(reason: string): Promise<void> {
    const due = [...this.tasks.values()].filter((t) => t.phase === "working");
    await Promise.all(due.map((t) => this.end(t, { kind: "turn-failed", reason })));
  }

  /** Renew every held task claim; a claim that was lost is dropped from tracking. */
  async renewClaims(): Promise<void> {
    await renewTaskClaims(this.tasks.values(), this.o.relay, this.o.agentId(), this.o.logger);
  }

  /** Give back every held claim (runner stopping before the tasks finished); their timers stop. */
  async releaseAll(): Promise<void> {
    const agentId = this.o.agentId();
    for (const t of this.tasks.values()) this.stopTimers(t);
    await Promise.all(
      [...this.tasks.values()]
        .filter((t) => t.claimHeld && t.phase !== "ending")
        .map((t) => this.o.relay.releaseClaim(t.messageId, agentId).catch(() => undefined)),
    );
  }

  /** The task's time limit passed: interrupt the turn, then end it partial (the workspace changed) or failed. */
  private async timeLimitPassed(t: TrackedTask): Promise<void> {
    if (this.tasks.get(t.taskId) !== t || t.phase === "ending") return;
    t.phase = "ending";
    this.o.logger.info({ taskId: t.taskId }, "task time limit passed; interrupting the turn");
    try {
      await this.o.interrupt?.();
    } catch (e) {
      this.o.logger.warn({ taskId: t.taskId, err: errorMessage(e) }, "could not interrupt the turn");
    }
    await this.end(t, { kind: "time-limit" });
  }

  /** Explicit completion after a turn: done if the agent reported it, else idle time counts towards a stall. */
  private async awaitReport(t: TrackedTask): Promise<void> {
    t.phase = "unreported";
    if (await this.reportedByAgent(t)) return;
    if (this.tasks.get(t.taskId) !== t || t.phase !== "unreported") return;
    t.stallTimer?.cancel();
    t.stallTimer = this.clock.setTimeout(() => void this.stallPassed(t), this.stallAfterMs);
  }

  /** Idle for the stall period with the task unreported: nudge once; the second time, fail it `stalled`. */
  private async stallPassed(t: TrackedTask): Promise<void> {
    t.stallTimer = undefined;
    if (this.tasks.get(t.taskId) !== t || t.phase !== "unreported") return;
    if (await this.reportedByAgent(t)) return;
    if (t.phase !== "unreported") return;
    if (t.nudged) {
      await this.end(t, { kind: "stalled" });
      return;
    }
    t.nudged = true;
    this.o.logger.info({ taskId: t.taskId }, "task unreported while idle; nudging the agent");
    try {
      await this.o.nudge?.(nudgeText(t.taskId));
    } catch (e) {
      this.o.logger.warn({ taskId: t.taskId, err: errorMessage(e) }, "could not nudge the agent");
    }
    // A nudge that starts a turn re-arms the timer at the turn's end; one that does not, here.
    if (t.phase === "unreported" && t.stallTimer === undefined) {
      t.stallTimer = this.clock.setTimeout(() => void this.stallPassed(t), this.stallAfterMs);
    }
  }

  /** True (and the task dropped) when the relay says the task already ended: the agent reported it. */
  private async reportedByAgent(t: TrackedTask): Promise<boolean> {
    if (!(await hasEnded(this.o.relay, t.taskId))) return false;
    await this.drop(t);
    return true;
  }

  /** The workspace snapshot and token totals a task starts from (each resolves undefined when unknown). */
  private startOf(): TaskStart {
    return taskStart(this.o.cwd, () => this.usage());
  }

  private async usage(): Promise<UsageTotals | undefined> {
    return this.o.usageTotals?.().catch(() => undefined);
  }

  private get stallAfterMs(): number {
    return this.o.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
  }

  private async end(t: TrackedTask, cause: EndCause): Promise<void> {
    t.phase = "ending";
    this.stopTimers(t);
    const now = this.clock.now();
    const usage = await usageAtEnd(() => this.usage(), t.usageAtStart, cause, this.clock);
    t.outcome = await decideOutcome(t, cause, this.o.cwd, now, usage);
    await this.send(t);
  }

  private async send(t: TrackedTask): Promise<void> {
    if (!t.outcome || t.sending || this.tasks.get(t.taskId) !== t) return;
    t.sending = true;
    const result = await reportOutcome(this.o.relay, t.taskId, this.o.agentId(), t.outcome, this.o.logger);
    t.sending = false;
    if (result !== "retry") await this.drop(t);
  }

  /** The task is over for this runner: its claim completed, its timers stopped, its work item gone. */
  private async drop(t: TrackedTask): Promise<void> {
    if (this.tasks.get(t.taskId) !== t) return;
    this.tasks.delete(t.taskId);
    this.stopTimers(t);
    if (t.claimHeld) {
      await this.o.relay.completeClaim(t.messageId, this.o.agentId()).catch((e) => {
        this.o.logger.warn({ taskId: t.taskId, err: errorMessage(e) }, "could not complete the task's claim");
      });
    }
    this.o.onEnd?.(t.taskId);
  }

  private stopTimers(t: TrackedTask): void {
    t.limitTimer?.cancel();
    t.stallTimer?.cancel();
    t.limitTimer = t.stallTimer = undefined;
  }
}
