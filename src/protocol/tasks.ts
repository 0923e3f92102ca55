// Tasks: the entity with its history and outcome, and the schemas of the task endpoints (/v1/tasks): create, list,
// and status changes with outcomes.
import { z } from "zod";
import { AgentId, Meta, TaskId } from "./entities.ts";
import { LIMITS } from "./http.ts";

export const TaskStatus = z.enum(["open", "in_progress", "done", "failed", "cancelled"]);
export type TaskStatus = z.infer<typeof TaskStatus>;
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ["done", "failed", "cancelled"];

export const TaskHistoryEntry = z.object({
  status: TaskStatus,
  /** Who made the change ("root" for the root token's creation entry). */
  agentId: z.string(),
  body: z.string().optional(),
  metadata: Meta.optional(),
  at: z.number(),
});
export type TaskHistoryEntry = z.infer<typeof TaskHistoryEntry>;

/** The longest time limit a task may carry: 7 days. */
export const MAX_TASK_TIME_LIMIT_SECONDS = 7 * 24 * 3600;
/** The message kind of the note a task's creator gets when the task ends with an outcome (payload: taskId, outcome). */
export const TASK_OUTCOME_KIND = "task-outcome";

/** What the workspace gained during a task, from git (files changed, lines added and removed, new commits). */
export const TaskChanges = z.object({
  files: z.number().int().nonnegative(),
  insertions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  commits: z.number().int().nonnegative(),
});
export type TaskChanges = z.infer<typeof TaskChanges>;

/** Tokens and cost of the task's turns, where the provider reports them. */
export const TaskUsage = z.object({
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
});
export type TaskUsage = z.infer<typeof TaskUsage>;

/** complete and partial end a task `done`; failed ends it `failed`. */
export const OutcomeStatus = z.enum(["complete", "partial", "failed"]);
export type OutcomeStatus = z.infer<typeof OutcomeStatus>;

/** How a task ended, as the runner decided or the agent declared it (see docs/outcomes.md). */
export const TaskOutcome = z.object({
  status: OutcomeStatus,
  /** Why it is not complete (e.g. `time limit`, `stalled`, the provider's error). */
  reason: z.string().max(1000).optional(),
  /** What was done, in the agent's words. */
  summary: z.string().max(8000).optional(),
  changes: TaskChanges.optional(),
  /** From the task's start (in_progress) to its end. */
  durationMs: z.number().int().nonnegative(),
  usage: TaskUsage.optional(),
});
export type TaskOutcome = z.infer<typeof TaskOutcome>;

export const Task = z.object({
  id: TaskId,
  title: z.string(),
  body: z.string(),
  status: TaskStatus,
  /** Who works on it: with the creator and root, the only agent that may change its status (see Tasks). */
  assignee: z.string().optional(),
  /** Oldest first; the first entry records the creation (open). */
  history: z.array(TaskHistoryEntry),
  /** The runner interrupts the task's turn once it has run this long. */
  timeLimitSeconds: z.number().int().positive().optional(),
  /** Set when the task ended done or failed with an outcome. */
  outcome: TaskOutcome.optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Task = z.infer<typeof Task>;

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
