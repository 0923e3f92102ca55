// `task create|list|show|status` (and done|partial|fail, in task-outcome-commands.ts) and `command`: tasks and runner commands from a shell.
import type { Command as Cli } from "commander";
import { z } from "zod";
import {
  AgentId,
  type Command,
  CommandType,
  CreateCommandRequest,
  CreateTaskRequest,
  MAX_TASK_TIME_LIMIT_SECONDS,
  TaskStatus,
  TasksAnswer,
  TERMINAL_COMMAND_STATUSES,
} from "../protocol/index.ts";
import { isHttpError } from "../relay-client/errors.ts";
import { sleep, systemClock } from "../util/clock.ts";
import { durationMs } from "../util/duration.ts";
import { RunnerError } from "../util/errors.ts";
import { clientCommand, clientGroup } from "./client-command.ts";
import { type ActionContext, parseOption, UsageError } from "./client-context.ts";
import { commandLine, printJson, printLine, taskFull, taskLine } from "./client-format.ts";
import { actingName } from "./identity-commands.ts";
import { DurationMsArg, IdArg, JsonObjectArg, LimitArg } from "./option-schemas.ts";
import { registerOutcomeCommands } from "./task-outcome-commands.ts";

const TaskLimitArg = LimitArg.pipe(z.number().max(500, "must be 1-500"));
/** `--time-limit 30m` as whole seconds, 1 s to 7 days. */
const TimeLimitArg = durationMs(1000, MAX_TASK_TIME_LIMIT_SECONDS * 1000).transform((ms) =>
  Math.ceil(ms / 1000),
);

/** How often `command --wait` asks for the command's status. */
const WAIT_POLL_MS = 200;

export function registerTaskCommands(program: Cli): void {
  const task = clientGroup(program, "task", "create, show or update tasks");
  clientCommand(task, "create", {
    description: "create a task; prints its id",
    options: (cmd) =>
      cmd
        .requiredOption("--title <text>", "task title")
        .option("--body <text>", "task description")
        .option(
          "--assignee <agent>",
          "agent the task is for; it gets a message (kind task) linked to the task",
        )
        .option(
          "--queue",
          "allow an --assignee that has not registered yet (it gets the message when it does)",
        )
        .option(
          "--time-limit <duration>",
          "the assignee's runner interrupts the task after this long (e.g. 30m, 2h; at most 7d)",
        ),
    json: "the task",
    run: createTask,
  });
  clientCommand(task, "list", {
    description: "list tasks, oldest first: #id status assignee title",
    options: (cmd) =>
      cmd
        .option("--status <status>", `only tasks in this status (${TaskStatus.options.join(", ")})`)
        .option("--assignee <agent>", "only tasks assigned to this agent"),
    paging: { items: "tasks", max: 500, limit: "100" },
    json: "the tasks",
    run: listTasks,
  });
  clientCommand(task, "show", {
    description: "print a task with its history",
    args: [["<id>", "task id"]],
    json: "the task",
    run: showTask,
  });
  clientCommand(task, "status", {
    description: `move a task to a status (${TaskStatus.options.join(", ")})`,
    args: [
      ["<id>", "task id"],
      ["<status>", TaskStatus.options.join("|")],
    ],
    agent: "who reports it",
    options: (cmd) => cmd.option("--note <text>", "a note kept in the task's history"),
    json: "the task",
    run: setTaskStatus,
  });

  registerOutcomeCommands(task);

  clientCommand(program, "command", {
    description: "send a command to a runner or agent; prints its id",
    options: (cmd) =>
      cmd
        .requiredOption("--target <id>", "agent or runner id, or supervisor (for supervisor.* types)")
        .requiredOption(
          "--type <type>",
          "e.g. agent.restart, agent.compact, agent.injectContext; supervisor.spawn|stop|restart",
        )
        .option("--params <json>", "parameters as a JSON object", "{}")
        .option("--wait", "wait until the command succeeds or fails and print the outcome")
        .option("--timeout <ms>", "give up waiting after this long", "120000"),
    json: "the command",
    run: sendCommand,
  });
}

async function createTask(
  ctx: ActionContext,
  o: {
    title: string;
    body?: string;
    assignee?: string;
    queue?: boolean;
    timeLimit?: string;
    json?: boolean;
  },
): Promise<void> {
  if (o.title.trim() === "") throw new UsageError("--title: must not be empty");
  const timeLimitSeconds =
    o.timeLimit === undefined ? undefined : parseOption(TimeLimitArg, o.timeLimit, "--time-limit");
  const title = parseOption(CreateTaskRequest.shape.title, o.title, "--title");
  const assignee = o.assignee === undefined ? undefined : parseOption(AgentId, o.assignee, "--assignee");
  // Checked before the task exists, so a typo leaves no orphan task behind.
  if (assignee !== undefined && !o.queue) {
    await ctx.client.getAgent(assignee).catch((e: unknown) => {
      if (!isHttpError(e, 404)) throw e;
      throw new Error(
        `--assignee: no registered agent '${assignee}'; pass --queue to assign it to an agent that registers later`,
      );
    });
  }
  const task = await ctx.client.createTask({
    title,
    ...(o.body !== undefined ? { body: o.body } : {}),
    ...(assignee !== undefined ? { assignee } : {}),
    ...(timeLimitSeconds !== undefined ? { timeLimitSeconds } : {}),
  });
  if (assignee !== undefined) {
    await ctx.client.sendMessage({
      to: assignee,
      kind: "task",
      subject: `Task #${task.id}: ${title}`.slice(0, 1000),
      body: o.body ?? title,
      payload: { taskId: task.id },
    });
  }
  if (o.json) printJson(task);
  else printLine(String(task.id));
}

async function listTasks(
  ctx: ActionContext,
  o: { status?: string; assignee?: string; limit: string; afterId?: string; json?: boolean },
): Promise<void> {
  const q = new URLSearchParams({ limit: String(parseOption(TaskLimitArg, o.limit, "--limit")) });
  if (o.status !== undefined) q.set("status", parseOption(TaskStatus, o.status, "--status"));
  if (o.assignee !== undefined) q.set("assignee", parseOption(AgentId, o.assignee, "--assignee"));
  if (o.afterId !== undefined) q.set("afterId", String(parseOption(IdArg, o.afterId, "--after-id")));
  const { tasks } = await ctx.client.read(`/v1/tasks?${q}`, TasksAnswer);
  if (o.json) return printJson(tasks);
  for (const t of tasks) printLine(taskLine(t));
  if (tasks.length === 0) printLine("no tasks");
}

async function showTask(ctx: ActionContext, idArg: string, o: { json?: boolean }): Promise<void> {
  const task = await ctx.client.getTask(parseOption(IdArg, idArg, "<id>"));
  if (o.json) printJson(task);
  else printLine(taskFull(task));
}

async function setTaskStatus(
  ctx: ActionContext,
  idArg: string,
  statusArg: string,
  o: { agent?: string; note?: string; json?: boolean },
): Promise<void> {
  const id = parseOption(IdArg, idArg, "<id>");
  const status = parseOption(TaskStatus, statusArg, "<status>");
  const agentId = await actingName(ctx, o.agent);
  const task = await ctx.client.setTaskStatus(id, {
    status,
    agentId,
    ...(o.note !== undefined ? { body: o.note } : {}),
  });
  if (o.json) printJson(task);
  else printLine(`#${task.id} ${task.status}`);
}

async function sendCommand(
  ctx: ActionContext,
  o: { target: string; type: string; params: string; wait?: boolean; timeout: string; json?: boolean },
): Promise<void> {
  const target = parseOption(CreateCommandRequest.shape.target, o.target, "--target");
  const type = parseOption(CommandType, o.type, "--type");
  const params = parseOption(JsonObjectArg, o.params, "--params");
  const timeoutMs = parseOption(DurationMsArg, o.timeout, "--timeout");
  await issueCommand(
    ctx,
    { target, type, params },
    { wait: o.wait === true, timeoutMs, json: o.json === true },
  );
}

/** Create a command, optionally wait for its outcome, print it; a failed command fails this invocation (exit 1). */
export async function issueCommand(
  ctx: ActionContext,
  request: { target: string; type: string; params: Record<string, unknown> },
  o: { wait: boolean; timeoutMs: number; json: boolean },
): Promise<Command> {
  let command = await ctx.client.createCommand(request);
  if (o.wait) command = await waitForOutcome(ctx, command, o.timeoutMs);
  if (o.json) printJson(command);
  else printLine(o.wait ? commandLine(command) : command.id);
  // A command that ran and failed is a failure of this invocation, so scripts can `&&` on it.
  if (command.status === "failed") process.exitCode = 1;
  return command;
}

async function waitForOutcome(ctx: ActionContext, first: Command, timeoutMs: number): Promise<Command> {
  const deadline = Date.now() + timeoutMs;
  let command = first;
  while (!TERMINAL_COMMAND_STATUSES.includes(command.status)) {
    if (Date.now() >= deadline) {
      throw new RunnerError(
        "TIMEOUT",
        `command ${command.id} still ${command.status} after ${timeoutMs} ms (--timeout)`,
      );
    }
    await sleep(systemClock, Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now())));
    command = await ctx.client.getCommand(command.id);
  }
  return command;
}
