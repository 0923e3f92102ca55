// The runner's TaskTracker, wired to its config and parts: how its tasks end (see docs/outcomes.md).
import type { Logger } from "pino";
import type { RunnerConfig } from "../config/index.ts";
import type { ProviderAdapter } from "../providers/adapter.ts";
import type { Clock } from "../util/clock.ts";
import type { DeliveryQueue } from "./delivery-queue.ts";
import { TaskTracker, type TaskTrackerOptions } from "./task-tracker.ts";
import type { WorkTracker } from "./work-tracker.ts";

export interface TaskParts {
  config: RunnerConfig;
  adapter: ProviderAdapter;
  relay: TaskTrackerOptions["relay"];
  work: WorkTracker;
  clock: Clock;
  logger: Logger;
  /** Built after the tracker (it needs the tracker): reached when a task ends or is nudged. */
  queue: () => Pick<DeliveryQueue, "kick" | "deliverNote">;
  /** Token totals the provider's events reported last (Codex), when the adapter cannot say them itself. */
  reportedUsage: () => { inputTokens: number; outputTokens: number } | undefined;
  /** The agent's cost so far (UsageMeter), when it is known. */
  costUsd: () => number | undefined;
}

export function buildTaskTracker(p: TaskParts): TaskTracker {
  const { config, adapter, work } = p;
  return new TaskTracker({
    agentId: () => config.agentId,
    relay: p.relay,
    logger: p.logger,
    clock: p.clock,
    cwd: config.cwd,
    completion: config.taskCompletion,
    stallAfterMs: config.stallAfterMs,
    // Only a running turn: Ctrl-C at an idle prompt may end a terminal program.
    interrupt: async () => {
      if (work.has("provider-turn", "turn")) await adapter.interrupt?.(AbortSignal.timeout(15_000));
    },
    // As agent.injectContext delivers: a system note where the provider has one, else a plain delivery.
    nudge: (text) => {
      const signal = AbortSignal.timeout(60_000);
      return adapter.injectContext
        ? adapter.injectContext(text, signal)
        : p.queue().deliverNote(text, signal);
    },
    usageTotals: async () => {
      const tokens = adapter.usageTotals ? await adapter.usageTotals() : p.reportedUsage();
      const costUsd = p.costUsd();
      return tokens && { ...tokens, ...(costUsd !== undefined ? { costUsd } : {}) };
    },
    onStart: (taskId) => work.add({ kind: "task", id: String(taskId) }),
    // The next work may go in now (after a time limit no turn end will say so).
    onEnd: (taskId) => {
      work.remove("task", String(taskId));
      p.queue().kick();
    },
  });
}
