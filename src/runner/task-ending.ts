// How the runner ends a task: the outcome it decides (turn ended, turn failed, time limit, stall) and its report.
import type { Logger } from "pino";
import { type TaskOutcome, TERMINAL_TASK_STATUSES } from "../protocol/index.ts";
import { type Clock, sleep } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import type { RelayApi } from "./ports.ts";
import { hasChanges, measureChanges, snapshotWorkspace, type WorkspaceSnapshot } from "./task-changes.ts";

/** Why the runner ends a task (see docs/outcomes.md). */
export type EndCause =
  | { kind: "turn-ended" }
  | { kind: "turn-failed"; reason: string }
  | { kind: "time-limit" }
  | { kind: "stalled" };

/** What the runner knows of the task's run when it decides. */
export interface TaskRun {
  taskId: number;
  startedAt: number;
  /** The workspace at the task's start; undefined when the cwd is not a git repository. */
  snapshot: Promise<WorkspaceSnapshot | undefined>;
  /** The conversation's token totals at the task's start, where the provider reports them. */
  usageAtStart: Promise<UsageTotals | undefined>;
}

/** What a task starts from: taken before its delivery when possible. */
export type TaskStart = Pick<TaskRun, "snapshot" | "usageAtStart">;

/** The workspace snapshot (when `cwd` is set) and token totals a task starts from; each resolves undefined when unknown. */
export function taskStart(cwd: string | undefined, usage: () => Promise<UsageTotals | undefined>): TaskStart {
  return {
    snapshot: cwd === undefined ? Promise.resolve(undefined) : snapshotWorkspace(cwd),
    usageAtStart: usage(),
  };
}

/** Whether the relay says the task has ended (or is gone): the agent reported it, or someone closed it. */
export async function hasEnded(relay: Pick<RelayApi, "getTask">, taskId: number): Promise<boolean> {
  try {
    return TERMINAL_TASK_STATUSES.includes((await relay.getTask(taskId)).status);
  } catch (e) {
    return (e as { status?: unknown } | null)?.status === 404;
  }
}

/** Tokens a conversation used so far (see ProviderAdapter.usageTotals), and the agent's cost so far if known. */
export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
}

/** The history note of an outcome the runner decided, so `task show` says who decided it. */
export const RUNNER_DECIDED_NOTE = "runner observed provider completion";

/**
 * turn ended → complete; turn failed → failed with the provider's reason; time limit → partial when the workspace
 * changed during the task, else failed; stalled → failed. `changes` when the cwd is a git repository.
 */
export async function decideOutcome(
  run: TaskRun,
  cause: EndCause,
  cwd: string | undefined,
  now: number,
  usageNow?: UsageTotals,
): Promise<TaskOutcome> {
  const snapshot = await run.snapshot;
  const changes = cwd !== undefined && snapshot ? await measureChanges(cwd, snapshot) : undefined;
  const usage = usageDelta(await run.usageAtStart, usageNow);
  const base = {
    durationMs: Math.max(0, now - run.startedAt),
    ...(changes ? { changes } : {}),
    ...(usage ? { usage } : {}),
  };
  switch (cause.kind) {
    case "turn-ended":
      return { status: "complete", ...base };
    case "turn-failed":
      return { status: "failed", reason: cause.reason.slice(0, 1000), ...base };
    case "time-limit":
      return { status: hasChanges(changes) ? "partial" : "failed", reason: "time limit", ...base };
    case "stalled":
      return { status: "failed", reason: "stalled", ...base };
  }
}

/** How long an ended turn's answer may take to show in the provider's usage (Claude writes its transcript late). */
const USAGE_SETTLE_MS = 2_000;
const USAGE_POLL_MS = 100;

/**
 * The token totals at a task's end. After a turn that ended normally the model answered, so the totals must have
 * grown: they are read again (bounded) until they have; other ends take them as they are.
 */
export async function usageAtEnd(
  read: () => Promise<UsageTotals | undefined>,
  atStart: Promise<UsageTotals | undefined>,
  cause: EndCause,
  clock: Clock,
): Promise<UsageTotals | undefined> {
  const start = await atStart;
  const deadline = clock.now() + USAGE_SETTLE_MS;
  for (;;) {
    const now = await read();
    const grown = !now || !start || now.outputTokens > start.outputTokens;
    if (cause.kind !== "turn-ended" || grown || clock.now() >= deadline) return now;
    await sleep(clock, USAGE_POLL_MS);
  }
}

/** What the task used: the totals' growth over it; none when either end is unknown or the conversation was replaced. */
function usageDelta(start: UsageTotals | undefined, end: UsageTotals | undefined): UsageTotals | undefined {
  if (!start || !end) return undefined;
  const inputTokens = end.inputTokens - start.inputTokens;
  const outputTokens = end.outputTokens - start.outputTokens;
  if (inputTokens < 0 || outputTokens < 0) return undefined;
  const cost = end.costUsd !== undefined ? end.costUsd - (start.costUsd ?? 0) : undefined;
  // Rounded to a micro-dollar: sums of float prices carry noise in the last digits.
  return {
    inputTokens,
    outputTokens,
    ...(cost !== undefined ? { costUsd: Math.round(cost * 1e6) / 1e6 } : {}),
  };
}

export type ReportResult = "reported" | "gone" | "retry";

/**
 * Sends the outcome with its status (done for complete|partial, failed for failed). `gone`: the task was ended by
 * someone else (409: the agent's declared outcome wins) or deleted (404); `retry`: the relay could not be reached.
 */
export async function reportOutcome(
  relay: Pick<RelayApi, "setTaskStatus">,
  taskId: number,
  agentId: string,
  outcome: TaskOutcome,
  logger: Logger,
): Promise<ReportResult> {
  const status = outcome.status === "failed" ? "failed" : "done";
  try {
    await relay.setTaskStatus(taskId, { status, agentId, body: RUNNER_DECIDED_NOTE, outcome });
    return "reported";
  } catch (e) {
    if (isGone(e)) {
      logger.info({ taskId, err: errorMessage(e) }, "task already ended (or gone); its outcome stands");
      return "gone";
    }
    logger.warn({ taskId, err: errorMessage(e) }, "could not mark task done; will retry on next idle");
    return "retry";
  }
}

function isGone(e: unknown): boolean {
  const status = (e as { status?: unknown } | null)?.status;
  return status === 404 || status === 409;
}

/** The nudge an agent gets when its task sat unreported for the stall period (explicit completion); `$AGENT_RELAY_BIN` is the CLI, set in every provider's environment. */
export function nudgeText(taskId: number, bin = `"$AGENT_RELAY_BIN"`): string {
  return [
    `Task #${taskId} is still open and you have been idle. If it is finished, report it:`,
    `  ${bin} task done ${taskId} --summary "what you did"`,
    `or, if only part is done or it cannot be done:`,
    `  ${bin} task partial ${taskId} --summary "what is done" --reason "what is missing"`,
    `  ${bin} task fail ${taskId} --reason "why"`,
    `If you are still working on it, carry on and report it when done; if it stays unreported it will be failed as stalled.`,
  ].join("\n");
}
