// A runner restarted after its predecessor died: resume the tasks the dead one held, and keep this runner's own
// leftovers record current so its successor can do the same.
import type { Logger } from "pino";
import type { RunnerConfig } from "../config/index.ts";
import { TERMINAL_TASK_STATUSES } from "../protocol/index.ts";
import type { RelayHttpClient } from "../relay-client/index.ts";
import { errorMessage } from "../util/errors.ts";
import type { DeliveryQueue } from "./delivery-queue.ts";
import type { AgentLeftovers, HeldTask } from "./orphans.ts";
import type { TaskTracker } from "./task-tracker.ts";
import type { WorkTracker } from "./work-tracker.ts";

/** The parts of a runner that resume its predecessor's tasks (a started AgentRunner has them all). */
export interface ResumeParts {
  config: Pick<RunnerConfig, "agentId">;
  http: Pick<RelayHttpClient, "getTask" | "releaseClaim" | "setTaskStatus" | "getMessage">;
  queue: Pick<DeliveryQueue, "offer">;
  log: Pick<Logger, "info" | "warn">;
}

export const RESUME_NOTE = "the runner holding this task died; delivered again to the restarted agent";

/**
 * Each task the predecessor held goes back to `open` (with a note in its history), its claim is released, and
 * its message is offered to this runner again: the restarted agent picks the work up where it was dropped.
 * A task that was finished meanwhile is left alone.
 */
export async function resumeTasks(r: ResumeParts, tasks: readonly HeldTask[]): Promise<void> {
  const agentId = r.config.agentId;
  for (const held of tasks) {
    try {
      const task = await r.http.getTask(held.taskId);
      if (TERMINAL_TASK_STATUSES.includes(task.status)) continue;
      if (held.claimHeld) await r.http.releaseClaim(held.messageId, agentId).catch(() => undefined);
      await r.http.setTaskStatus(held.taskId, { status: "open", agentId, body: RESUME_NOTE });
      r.queue.offer(await r.http.getMessage(held.messageId));
      r.log.info(
        { taskId: held.taskId, messageId: held.messageId },
        "resumed a task the previous runner held",
      );
    } catch (e) {
      r.log.warn(
        { taskId: held.taskId, err: errorMessage(e) },
        "could not resume a task the previous runner held",
      );
    }
  }
}

/** Keep the leftovers record in step with the tasks this runner holds. */
export function recordLeftovers(
  r: { tasks: Pick<TaskTracker, "held">; work: Pick<WorkTracker, "onChange"> },
  leftovers: AgentLeftovers,
  tmuxSocket: string,
): () => void {
  const write = () =>
    void leftovers.write({ tmuxSocket, tmuxTmpdir: process.env.TMUX_TMPDIR, tasks: r.tasks.held() });
  write();
  return r.work.onChange(write);
}
