// Task-linked deliveries: holds their claims and marks each task done once the provider was seen busy, then idle.
import type { Logger } from "pino";
import { errorMessage } from "../util/errors.ts";
import type { RelayApi } from "./ports.ts";

/**
 * waiting: delivered while the provider was idle, no turn seen yet.
 * working: a turn started after the delivery — or one was running when it arrived, whose end may handle it.
 * completing: the provider went idle after working; the relay's done update is owed (retried on the next idle).
 */
type TaskPhase = "waiting" | "working" | "completing";

interface TrackedTask {
  taskId: number;
  messageId: number;
  /** Whether the runner holds the message's claim (claimable messages) until the task completes. */
  claimHeld: boolean;
  phase: TaskPhase;
}

export interface TaskTrackerOptions {
  agentId: () => string;
  relay: Pick<RelayApi, "setTaskStatus" | "completeClaim" | "renewClaim" | "releaseClaim">;
  logger: Logger;
  /** Work-item hooks: a tracked task keeps the agent busy until it is done. */
  onStart?: (taskId: number, messageId: number) => void;
  onEnd?: (taskId: number) => void;
}

export class TaskTracker {
  private readonly tasks = new Map<number, TrackedTask>();

  constructor(private readonly o: TaskTrackerOptions) {}

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

  track(taskId: number, messageId: number, claimHeld: boolean, providerBusy: boolean): void {
    if (this.tasks.has(taskId)) return;
    this.tasks.set(taskId, {
      taskId,
      messageId,
      claimHeld,
      phase: providerBusy ? "working" : "waiting",
    });
    this.o.onStart?.(taskId, messageId);
  }

  /** The provider started a turn. */
  providerBusy(): void {
    for (const t of this.tasks.values()) if (t.phase === "waiting") t.phase = "working";
  }

  /** The provider went idle: every task that saw work since its delivery is done ("runner observed provider completion"). */
  async providerIdle(): Promise<void> {
    const due = [...this.tasks.values()].filter((t) => t.phase !== "waiting");
    await Promise.all(due.map((t) => this.complete(t)));
  }

  /** Renew every held task claim; a claim that was lost is dropped from tracking. */
  async renewClaims(): Promise<void> {
    const agentId = this.o.agentId();
    await Promise.all(
      [...this.tasks.values()]
        .filter((t) => t.claimHeld)
        .map(async (t) => {
          try {
            const r = await this.o.relay.renewClaim(t.messageId, agentId);
            if (!r.ok) {
              this.o.logger.warn(
                { taskId: t.taskId, messageId: t.messageId },
                "task claim lost to another agent",
              );
              t.claimHeld = false;
            }
          } catch (e) {
            this.o.logger.warn({ taskId: t.taskId, err: errorMessage(e) }, "task claim renewal failed");
          }
        }),
    );
  }

  /** Give back every held claim (runner stopping before the tasks finished). */
  async releaseAll(): Promise<void> {
    const agentId = this.o.agentId();
    await Promise.all(
      [...this.tasks.values()]
        .filter((t) => t.claimHeld && t.phase !== "completing")
        .map((t) => this.o.relay.releaseClaim(t.messageId, agentId).catch(() => undefined)),
    );
  }

  private async complete(t: TrackedTask): Promise<void> {
    t.phase = "completing";
    const agentId = this.o.agentId();
    try {
      await this.o.relay.setTaskStatus(t.taskId, {
        status: "done",
        agentId,
        body: "runner observed provider completion",
      });
      if (t.claimHeld) await this.o.relay.completeClaim(t.messageId, agentId);
      this.tasks.delete(t.taskId);
      this.o.onEnd?.(t.taskId);
    } catch (e) {
      if (isGone(e)) {
        // The task was closed by someone else (409) or deleted (404): nothing left to report.
        this.o.logger.info(
          { taskId: t.taskId, err: errorMessage(e) },
          "task no longer accepts a done status",
        );
        this.tasks.delete(t.taskId);
        this.o.onEnd?.(t.taskId);
        return;
      }
      // Left `completing`: the next idle tries again.
      this.o.logger.warn(
        { taskId: t.taskId, err: errorMessage(e) },
        "could not mark task done; will retry on next idle",
      );
    }
  }
}

function isGone(e: unknown): boolean {
  const status = (e as { status?: unknown } | null)?.status;
  return status === 404 || status === 409;
}
