// A task's outcome at the relay: who may set it, its measured duration, and the note its creator gets.
import type { z } from "zod";
import {
  describeOutcome,
  TASK_OUTCOME_KIND,
  type Task,
  type TaskOutcome,
  type TaskStatus,
  type TaskStatusRequest,
  TERMINAL_TASK_STATUSES,
} from "../../protocol/index.ts";
import { isOperator, type Principal } from "../auth/authenticate.ts";
import type { Relay } from "./context.ts";
import { forbidden, invalid, relayError } from "./errors.ts";

/** The request's outcome, as parsed (durationMs optional). */
type OutcomeInput = NonNullable<z.infer<typeof TaskStatusRequest>["outcome"]>;

/**
 * Checks an outcome change and answers the outcome to store: only with `done` (complete|partial) or `failed`,
 * only by the assignee (or the agent taking an unassigned task), an operator or root, and only on a task that has
 * not ended. Without `durationMs` it is measured from the task's first in_progress (else its creation) to `now`.
 */
export function acceptOutcome(
  principal: Principal,
  task: Task,
  status: TaskStatus,
  input: OutcomeInput,
  now: number,
): TaskOutcome {
  const expected = input.status === "failed" ? "failed" : "done";
  if (status !== expected) {
    throw invalid(`outcome: a ${input.status} outcome goes with status ${expected}, not ${status}`);
  }
  if (principal.kind === "runtime" && !isOperator(principal)) {
    const agentId = principal.claims.agentId;
    if (task.assignee !== undefined && task.assignee !== agentId) {
      throw forbidden(
        `task ${task.id} is assigned to '${task.assignee}'; only it, an operator or root may end it with an outcome`,
      );
    }
  }
  if (task.outcome !== undefined || TERMINAL_TASK_STATUSES.includes(task.status)) {
    throw relayError("conflict", `task ${task.id} has already ended (${task.status})`);
  }
  const started = task.history.find((h) => h.status === "in_progress")?.at ?? task.createdAt;
  return { ...input, durationMs: input.durationMs ?? Math.max(0, now - started) };
}

/**
 * The task's creator hears how it ended: a message from the agent that ended it, linked by `taskId`, with the
 * outcome readable in the body and whole in the payload. Not sent when the creator ended it itself.
 */
export async function notifyCreator(relay: Relay, task: Task, from: string): Promise<void> {
  const creator = task.history[0]?.agentId;
  if (creator === undefined || creator === from || task.outcome === undefined) return;
  const outcome = task.outcome;
  try {
    await relay.writer.insert({
      from,
      to: creator,
      kind: TASK_OUTCOME_KIND,
      subject: `Task #${task.id} ${outcome.status}: ${task.title}`.slice(0, 1000),
      body: `Task #${task.id} "${task.title}" ended ${task.status}.\n${describeOutcome(outcome)}`,
      payload: { taskId: task.id, outcome },
      claimable: false,
      attachments: [],
      createdAt: relay.clock.now(),
    });
  } catch (e) {
    // The outcome is stored either way; the creator can still read it with `task show`.
    relay.logger.warn({ err: e, taskId: task.id }, "could not send the task outcome to its creator");
  }
}
