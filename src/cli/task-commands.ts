// `task create|show|status` and `command`: tasks and runner commands from a shell.
import type { Command as Cli } from "commander";
import {
  AgentId,
  type Command,
  CommandType,
  CreateCommandRequest,
  CreateTaskRequest,
  TaskStatus,
  TERMINAL_COMMAND_STATUSES,
} from "../protocol/index.ts";
import { sleep, systemClock } from "../util/clock.ts";
import { RunnerError } from "../util/errors.ts";
import {
  type ActionContext,
  asClientCommand,
  clientAction,
  parseOption,
  requireAgent,
  UsageError,
  withRelayOptions,
} from "./client-context.ts";
import { commandLine, printJson, printLine, taskFull } from "./client-format.ts";
import { DurationMsArg, IdArg, JsonObjectArg } from "./option-schemas.ts";

/** How often `command --wait` asks for the command's status. */
const WAIT_POLL_MS = 200;

export function registerTaskCommands(program: Cli): void {
  const task = asClientCommand(program.command("task"), "task").description("create, show or update tasks");
  withRelayOptions(asClientCommand(task.command("create"), "task create"))
    .description("create a task; prints its id")
    .requiredOption("--title <text>", "task title")
    .option("--body <text>", "task description")
    .option("--assignee <agent>", "agent the task is for")
    .option("--json", "print the task as JSON")
    .action(clientAction("task create", createTask));
  withRelayOptions(asClientCommand(task.command("show"), "task show"))
    .description("print a task with its history")
    .argument("<id>", "task id")
    .option("--json", "print the task as JSON")
    .action(clientAction("task show", showTask));
  withRelayOptions(asClientCommand(task.command("status"), "task status"))
    .description(`move a task to a status (${TaskStatus.options.join(", ")})`)
    .argument("<id>", "task id")
    .argument("<status>", TaskStatus.options.join("|"))
    .option("--agent <id>", "who reports it (default AGENT_RELAY_AGENT_ID)")
    .option("--note <text>", "a note kept in the task's history")
    .option("--json", "print the task as JSON")
    .action(clientAction("task status", setTaskStatus));

  withRelayOptions(asClientCommand(program.command("command"), "command"))
    .description("send a command to a runner or agent; prints its id")
    .requiredOption("--target <id>", "agent or runner id, or supervisor (for supervisor.* types)")
    .requiredOption(
      "--type <type>",
      "e.g. agent.restart, agent.compact, agent.injectContext; supervisor.spawn|stop|restart",
    )
    .option("--params <json>", "parameters as a JSON object", "{}")
    .option("--wait", "wait until the command succeeds or fails and print the outcome")
    .option("--timeout <ms>", "give up waiting after this long", "120000")
    .option("--json", "print the command as JSON")
    .action(clientAction("command", sendCommand));
}

async function createTask(
  ctx: ActionContext,
  o: { title: string; body?: string; assignee?: string; json?: boolean },
): Promise<void> {
  if (o.title.trim() === "") throw new UsageError("--title: must not be empty");
  const title = parseOption(CreateTaskRequest.shape.title, o.title, "--title");
  const assignee = o.assignee === undefined ? undefined : parseOption(AgentId, o.assignee, "--assignee");
  const task = await ctx.client.createTask({
    title,
    ...(o.body !== undefined ? { body: o.body } : {}),
    ...(assignee !== undefined ? { assignee } : {}),
  });
  if (o.json) printJson(task);
  else printLine(String(task.id));
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
  const agentId = parseOption(AgentId, requireAgent(o.agent), "--agent");
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
  let command = await ctx.client.createCommand({ target, type, params });
  if (o.wait) command = await waitForOutcome(ctx, command, timeoutMs);
  if (o.json) printJson(command);
  else printLine(o.wait ? commandLine(command) : command.id);
  // A command that ran and failed is a failure of this invocation, so scripts can `&&` on it.
  if (command.status === "failed") process.exitCode = 1;
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
