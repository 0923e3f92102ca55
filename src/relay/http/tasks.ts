// HTTP handlers for tasks: create, read, and status changes that append to the task's history.
import {
  CreateTaskRequest,
  type Task,
  TaskListQuery,
  TaskStatusRequest,
  TERMINAL_TASK_STATUSES,
} from "../../protocol/index.ts";
import { actingAgent, isOperator, mayActAs, type Principal } from "../auth/authenticate.ts";
import { NumericIdPath, parsePath, parseQuery, readJson } from "./body.ts";
import type { Handler } from "./context.ts";
import { forbidden, notFound, relayError } from "./errors.ts";
import { chargeCreate } from "./quota.ts";
import { assertJsonFits } from "./stored-size.ts";
import { acceptOutcome, notifyCreator } from "./task-outcome.ts";

export const createTask: Handler = async (req, call) => {
  chargeCreate(call);
  const { relay, principal } = call;
  const body = await readJson(req, CreateTaskRequest, relay.limits.jsonBodyBytes);
  const task = await relay.store.tasks.create(
    {
      title: body.title,
      body: body.body,
      assignee: body.assignee,
      createdBy: actingAgent(principal),
      timeLimitSeconds: body.timeLimitSeconds,
    },
    relay.clock.now(),
  );
  return Response.json(task);
};

/** Filtered and paged by id; root sees every task, a runtime token those its agent is assigned or created. */
export const listTasks: Handler = async (req, { relay, principal }) => {
  const q = parseQuery(req, TaskListQuery);
  const viewer = principal.kind === "runtime" ? principal.claims.agentId : undefined;
  return Response.json({
    tasks: await relay.store.tasks.list({
      afterId: q.afterId,
      limit: q.limit,
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.assignee !== undefined ? { assignee: q.assignee } : {}),
      ...(viewer !== undefined ? { viewer } : {}),
    }),
  });
};

export const getTask: Handler = async (req, { relay }) => {
  const id = taskId(req);
  const task = await relay.store.tasks.get(id);
  if (!task) throw notFound(`task ${id}`);
  return Response.json(task);
};

/**
 * Who may change a task's status: root, the task's creator, and its assignee. An unassigned task is taken by the
 * first other agent that moves it (it becomes the assignee, as when a runner starts work on it). Answers the
 * assignee to record, or throws 403.
 */
function mayChangeTask(principal: Principal, task: Task, endsWithOutcome: boolean): string | undefined {
  if (principal.kind === "root") return undefined;
  // A person with an operator token may close any task with an outcome (e.g. one whose agent is gone).
  if (endsWithOutcome && isOperator(principal)) return undefined;
  const agentId = principal.claims.agentId;
  const creator = task.history[0]?.agentId;
  if (agentId === creator || agentId === task.assignee) return undefined;
  if (task.assignee === undefined) return agentId;
  throw forbidden(
    `task ${task.id} is assigned to '${task.assignee}'; only its assignee, creator or root may change it`,
  );
}

/**
 * Setting the status a task already has without a `body` or `metadata` is a no-op that answers the task
 * unchanged (safe to retry); with one, it is a note and appends a history entry, even on a finished task.
 * A finished task (done/failed/cancelled) cannot move to another status (409). A change with an `outcome` ends the
 * task (see acceptOutcome: never twice, so a declared outcome wins over a later one) and tells its creator.
 */
export const setTaskStatus: Handler = async (req, call) => {
  // Each change appends a history entry (with up to 2 Mi characters of body), so it counts as a create.
  chargeCreate(call);
  const { relay, principal } = call;
  const id = taskId(req);
  const body = await readJson(req, TaskStatusRequest, relay.limits.jsonBodyBytes);
  if (!mayActAs(principal, body.agentId))
    throw forbidden(`this token cannot act for agent '${body.agentId}'`);
  const { tasks } = relay.store;
  const task = await tasks.get(id);
  if (!task) throw notFound(`task ${id}`);
  const assignee = mayChangeTask(principal, task, body.outcome !== undefined);
  if (body.metadata !== undefined)
    assertJsonFits(JSON.stringify(body.metadata), relay.limits.jsonBodyBytes, "task metadata");
  const { outcome: outcomeInput, ...change } = body;
  if (outcomeInput !== undefined) {
    const outcome = acceptOutcome(principal, task, body.status, outcomeInput, relay.clock.now());
    await tasks.transition(id, { ...change, assignee, outcome }, relay.clock.now());
    const ended = (await tasks.get(id))!;
    await notifyCreator(relay, ended, body.agentId);
    return Response.json(ended);
  }
  const isNote = body.body !== undefined || body.metadata !== undefined;
  if (task.status === body.status && !isNote) return Response.json(task);
  if (task.status !== body.status && TERMINAL_TASK_STATUSES.includes(task.status)) {
    throw relayError("conflict", `task ${id} is already ${task.status} and cannot become ${body.status}`);
  }
  await tasks.transition(id, { ...change, assignee }, relay.clock.now());
  return Response.json(await tasks.get(id));
};

function taskId(req: Parameters<Handler>[0]): number {
  return parsePath(req, NumericIdPath).id;
}
