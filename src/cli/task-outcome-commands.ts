// `task done|partial|fail <id>`: the agent (or a person) declares how a task ended; a declared outcome wins over the runner's.
import type { Command as Cli } from "commander";
import { type OutcomeStatus, TaskOutcome } from "../protocol/index.ts";
import { clientCommand } from "./client-command.ts";
import { type ActionContext, parseOption } from "./client-context.ts";
import { printJson, printLine } from "./client-format.ts";
import { actingName } from "./identity-commands.ts";
import { IdArg } from "./option-schemas.ts";

const VERBS: readonly { name: string; status: OutcomeStatus; description: string }[] = [
  { name: "done", status: "complete", description: "report a task complete (it ends done)" },
  {
    name: "partial",
    status: "partial",
    description: "report a task partly done (it ends done, outcome partial)",
  },
  { name: "fail", status: "failed", description: "report a task failed (it ends failed)" },
];

export function registerOutcomeCommands(task: Cli): void {
  for (const verb of VERBS) {
    clientCommand(task, verb.name, {
      description: verb.description,
      args: [["<id>", "task id"]],
      agent: "who reports it (the task's assignee)",
      options: (cmd) =>
        cmd.option("--summary <text>", "what was done").option("--reason <text>", "why it is not complete"),
      json: "the task",
      run: (ctx: ActionContext, idArg: string, o: Options) => declare(ctx, verb.status, idArg, o),
    });
  }
}

interface Options {
  agent?: string;
  summary?: string;
  reason?: string;
  json?: boolean;
}

async function declare(ctx: ActionContext, status: OutcomeStatus, idArg: string, o: Options): Promise<void> {
  const id = parseOption(IdArg, idArg, "<id>");
  const summary =
    o.summary === undefined ? undefined : parseOption(TaskOutcome.shape.summary, o.summary, "--summary");
  const reason =
    o.reason === undefined ? undefined : parseOption(TaskOutcome.shape.reason, o.reason, "--reason");
  const agentId = await actingName(ctx, o.agent);
  const task = await ctx.client.setTaskStatus(id, {
    status: status === "failed" ? "failed" : "done",
    agentId,
    outcome: {
      status,
      ...(summary !== undefined ? { summary } : {}),
      ...(reason !== undefined ? { reason } : {}),
    },
  });
  if (o.json) printJson(task);
  else printLine(`#${task.id} ${task.status} (${task.outcome?.status ?? status})`);
}
