// Before a message is handed over: fetch its attachments and start its task — or refuse it alone, for good.
import type { Logger } from "pino";
import type { DeliveryItem } from "../providers/adapter.ts";
import { isHttpError } from "../relay-client/errors.ts";
import { errorMessage, isRunnerError } from "../util/errors.ts";
import type { Ready } from "./delivery-settle.ts";
import { mayEnterRunningTurn } from "./mid-turn.ts";
import type { RelayApi } from "./ports.ts";
import type { TaskTracker } from "./task-tracker.ts";

export interface PrepareDeps {
  relay: Pick<RelayApi, "setTaskStatus" | "refuseMessage" | "releaseClaim">;
  /** Before the agent sees a task: its start snapshot of the workspace (see TaskTracker.prepare); the current task. */
  tasks?: Pick<TaskTracker, "prepare" | "held">;
  attachments: (message: Ready["message"]) => Promise<string[]>;
  logger: Logger;
}

/**
 * The reason a message can never be delivered, or undefined when a retry may succeed. Permanent: an attachment
 * the cache refused (DELIVERY_FAILED), or a 4xx from the relay about the message's own resources (its task is
 * unknown or finished). 401 (the token), 408 and 429 pass with time, as do 5xx and network errors.
 */
export function permanentFailure(e: unknown, taskId: number | undefined): string | undefined {
  if (isRunnerError(e, "DELIVERY_FAILED")) return errorMessage(e);
  if (!isHttpError(e) || e.status < 400 || e.status >= 500) return undefined;
  if (e.status === 401 || e.status === 408 || e.status === 429) return undefined;
  const what = taskId !== undefined ? `task ${taskId} cannot be started` : "the relay refused it";
  return `${what}: ${e.relayMessage}`;
}

/**
 * Attachments fetched and task started; undefined when the message was refused (retried as part of its batch,
 * it would hold back every message after it forever). Throws what may pass with a retry.
 */
export async function prepareDelivery(
  r: Ready,
  agentId: string,
  deps: PrepareDeps,
): Promise<DeliveryItem | undefined> {
  try {
    const attachmentPaths = await deps.attachments(r.message);
    // Decided before its own task is started (and held): the current task, the latest held, is the running turn's.
    const midTurn = mayEnterRunningTurn(r.message, deps.tasks?.held().at(-1)?.taskId);
    if (r.taskId !== undefined) await startTask(r, agentId, deps);
    return { message: r.message, attachmentPaths, ...(midTurn ? { midTurn } : {}) };
  } catch (e) {
    const reason = permanentFailure(e, r.taskId);
    if (reason === undefined) throw e;
    await refuse(r, agentId, reason, deps);
    return undefined;
  }
}

/** Prepare a batch in order; a refused message leaves `ready` (after `onRefused`). Throws what may pass with a retry. */
export async function prepareBatch<R extends Ready>(
  ready: R[],
  agentId: string,
  deps: PrepareDeps,
  onRefused: (r: R) => void,
): Promise<DeliveryItem[]> {
  const items: DeliveryItem[] = [];
  for (const r of [...ready]) {
    const item = await prepareDelivery(r, agentId, deps);
    if (item) items.push(item);
    else {
      onRefused(r);
      ready.splice(ready.indexOf(r), 1);
    }
  }
  return items;
}

/**
 * Set the message's task in progress. A task this agent may not update (403: it belongs to someone else) does not
 * make the message undeliverable: it goes in as a plain message, its task left alone (not tracked, claim settled).
 */
async function startTask(r: Ready, agentId: string, deps: PrepareDeps): Promise<void> {
  try {
    const task = await deps.relay.setTaskStatus(r.taskId!, { status: "in_progress", agentId });
    r.timeLimitSeconds = task.timeLimitSeconds;
    await deps.tasks?.prepare(r.taskId!);
  } catch (e) {
    if (!isHttpError(e, 403)) throw e;
    deps.logger.warn(
      { messageId: r.message.id, taskId: r.taskId, err: errorMessage(e) },
      "this agent may not update the message's task; delivering it without tracking the task",
    );
    r.taskId = undefined;
  }
}

async function refuse(r: Ready, agentId: string, reason: string, deps: PrepareDeps): Promise<void> {
  const id = r.message.id;
  try {
    // Stored as this agent's refusal (its sender sees the reason), read for this agent, its claim released.
    await deps.relay.refuseMessage(id, agentId, reason.slice(0, 1000));
  } catch (e) {
    // Not recorded: at least let an agent that can take it claim it. A restarted runner decides again.
    if (r.claimed) await deps.relay.releaseClaim(id, agentId).catch(() => undefined);
    deps.logger.warn({ messageId: id, err: errorMessage(e) }, "could not record a refusal at the relay");
  }
  deps.logger.warn({ messageId: id, reason }, "refused a message that can never be delivered");
}
