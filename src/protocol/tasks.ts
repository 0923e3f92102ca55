// Request and answer schemas of the task endpoints (/v1/tasks): create, list, and status changes with outcomes.
import { z } from "zod";
import { AgentId, MAX_TASK_TIME_LIMIT_SECONDS, Meta, Task, TaskOutcome, TaskStatus } from "./entities.ts";
import { LIMITS } from "./http.ts";

export const CreateTaskRequest = z.object({
  title: z.string().min(1).max(1000),
  body: z.string().max(LIMITS.messageBodyChars).default(""),
  /** The agent that works on it; it (with the creator and root) may change the status. Not checked against the registry. */
  assignee: AgentId.optional(),
  /** The runner interrupts the task's turn after this long and records the outcome (at most 7 days). */
  timeLimitSeconds: z.number().int().min(1).max(MAX_TASK_TIME_LIMIT_SECONDS).optional(),
});
export type CreateTaskRequest = z.input<typeof CreateTaskRequest>;
/** Filters and paging of GET /v1/tasks. */
export const TaskListQuery = z.object({
  status: TaskStatus.optional(),
  assignee: AgentId.optional(),
  /** Page size. */
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Only tasks with a larger id (paging). */
  afterId: z.coerce.number().int().min(0).default(0),
});
export const TasksAnswer = z.object({ tasks: z.array(Task) });
export type TasksAnswer = z.infer<typeof TasksAnswer>;

export const TaskStatusRequest = z.object({
  status: TaskStatus,
  /** Who makes the change; a runtime token may only name its own agent. */
  agentId: AgentId,
  body: z.string().max(LIMITS.messageBodyChars).optional(),
  metadata: Meta.optional(),
  /**
   * How the task ended: only with `done` (complete|partial) or `failed` (failed), only by the assignee, an operator
   * or root, once. Without `durationMs` the relay measures it from the task's first in_progress.
   */
  outcome: TaskOutcome.extend({ durationMs: TaskOutcome.shape.durationMs.optional() }).optional(),
});
export type TaskStatusRequest = z.input<typeof TaskStatusRequest>;
