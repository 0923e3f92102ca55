// The relay's webhook (--notify-url): a person away from the screen is told when an agent needs input or fails, or
// a task fails. Posted from a bounded queue, one at a time, retried with backoff; the relay never waits on it.
import type { Agent } from "../protocol/index.ts";
import { agentFacts } from "../supervisor/status-view.ts";
import { Backoff } from "../util/backoff.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import { FailureEpisode } from "../util/log-limiter.ts";
import type { Logger } from "../util/logger.ts";

/** The webhook's JSON body (docs/operations.md, "Notifications"). */
export type Notification =
  | {
      event: "agent.needs-input" | "agent.error";
      agentId: string;
      label?: string;
      reason?: string;
      at: number;
    }
  | { event: "task.failed"; taskId: number; title: string; agentId: string; reason?: string; at: number };

export interface NotifierOptions {
  url: string;
  clock: Clock;
  logger: Logger;
  /** Notifications waiting while the endpoint is down; beyond it the oldest are dropped (and logged). */
  maxQueued?: number;
  /** Tries per notification. */
  attempts?: number;
  timeoutMs?: number;
  retry?: { initialMs: number; maxMs: number };
}

const ALERT_STATUSES = new Set(["needs-input", "error"]);

export class Notifier {
  private readonly queue: { body: Notification; tries: number }[] = [];
  /** Each agent's last status, to notify on entering needs-input or error, not on every heartbeat there. */
  private readonly lastStatus = new Map<string, string>();
  private sending = false;
  private timer: TimerHandle | undefined;
  private readonly backoff: Backoff;
  private readonly failure = new FailureEpisode();
  private stopped = false;
  private changes: Promise<void> = Promise.resolve();

  constructor(private readonly o: NotifierOptions) {
    this.backoff = new Backoff({ initialMs: 1_000, maxMs: 60_000, ...o.retry, jitter: "none" });
  }

  /**
   * An agent's row changed; `read` answers it (undefined: it went away). Changes are taken in the order they
   * came, each after the read of the one before, so "entered needs-input" is judged against the previous status.
   */
  agentChanged(id: string, read: () => Agent | undefined | Promise<Agent | undefined>): void {
    this.changes = this.changes
      .then(async () => this.agentIs(id, await read()))
      .catch((e) =>
        this.o.logger.warn({ err: errorMessage(e), agentId: id }, "could not read a changed agent"),
      );
  }

  private agentIs(id: string, agent: Agent | undefined): void {
    const before = this.lastStatus.get(id);
    if (!agent) {
      this.lastStatus.delete(id);
      return;
    }
    // The status and reason people see, as `agents` and `ps` show them.
    const { status: now, reason } = agentFacts(agent);
    this.lastStatus.set(id, now);
    if (!ALERT_STATUSES.has(now) || before === now) return;
    this.enqueue({
      event: now === "error" ? "agent.error" : "agent.needs-input",
      agentId: id,
      ...(agent.label ? { label: agent.label } : {}),
      ...(reason ? { reason } : {}),
      at: this.o.clock.now(),
    });
  }

  taskFailed(taskId: number, title: string, agentId: string, reason: string | undefined): void {
    this.enqueue({
      event: "task.failed",
      taskId,
      title,
      agentId,
      ...(reason ? { reason } : {}),
      at: this.o.clock.now(),
    });
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private enqueue(body: Notification): void {
    if (this.stopped) return;
    this.queue.push({ body, tries: 0 });
    if (this.queue.length > (this.o.maxQueued ?? 1_000)) {
      const dropped = this.queue.shift()!;
      this.o.logger.warn({ event: dropped.body.event }, "notification queue full; dropped the oldest");
    }
    if (!this.sending && !this.timer) void this.drain();
  }

  private async drain(): Promise<void> {
    this.sending = true;
    while (this.queue.length > 0 && !this.stopped) {
      const next = this.queue[0]!;
      next.tries++;
      try {
        await this.post(next.body);
        this.queue.shift();
        this.backoff.reset();
        if (this.failure.recover()) this.o.logger.info("notifications reach --notify-url again");
      } catch (e) {
        if (this.failure.fail())
          this.o.logger.warn(
            { err: errorMessage(e) },
            "could not post a notification to --notify-url; retrying",
          );
        if (next.tries >= (this.o.attempts ?? 5)) {
          this.queue.shift();
          this.o.logger.warn({ event: next.body.event, tries: next.tries }, "gave up on a notification");
        }
        this.sending = false;
        this.timer = this.o.clock.setTimeout(() => {
          this.timer = undefined;
          void this.drain();
        }, this.backoff.next());
        return;
      }
    }
    this.sending = false;
  }

  private async post(body: Notification): Promise<void> {
    const res = await fetch(this.o.url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "agent-relay-runner" },
      body: JSON.stringify(body),
      redirect: "error",
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  }
}
