// `send`, `inbox`, `thread` and `msg read|reply|react`: messaging from a shell, for people and for agents' skills.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { AgentId, MessageKind, MessagesAnswer, SendMessageRequest, Target } from "../protocol/index.ts";
import { isHttpError } from "../relay-client/errors.ts";
import { durationMs } from "../util/duration.ts";
import { clientCommand, clientGroup } from "./client-command.ts";
import { type ActionContext, agentFrom, parseOption, readBody, UsageError } from "./client-context.ts";
import { messageFull, messageLine, printJson, printLine } from "./client-format.ts";
import { actingName, ownName } from "./identity-commands.ts";
import { IdArg, LimitArg } from "./option-schemas.ts";
import { parseWaitState, waitForReceipt } from "./receipt-wait.ts";

/** `thread` indents a reply under what it answers, up to this many levels (a long chain stays readable). */
const MAX_INDENT = 8;

interface SendOptions {
  to: string;
  claimable?: boolean;
  urgent?: boolean;
  taskId?: string;
  subject?: string;
  kind?: string;
  replyTo?: string;
  replyRequired?: boolean;
  from?: string;
  attach?: string[];
  queue?: boolean;
  wait?: string;
  timeout?: string;
  json?: boolean;
}

export function registerMessageCommands(program: Command): void {
  clientCommand(program, "send", {
    description: "send a message; prints its id",
    args: [["[body]", 'the message body ("-" reads stdin)']],
    options: (cmd) =>
      cmd
        .requiredOption("--to <target>", "<agentId>, label:<label>, tag:<tag>, cap:<capability> or broadcast")
        .option("--claimable", "deliver to exactly one of the matching agents")
        .option("--urgent", "a busy recipient gets it between tool calls of its running turn, not after it")
        .option("--task-id <n>", "link the message to a task")
        .option("--subject <text>", "subject line")
        .option("--kind <kind>", "message kind (default: chat)")
        .option("--reply-to <id>", "the message this answers")
        .option("--reply-required", "the recipient owes a reply")
        .option("--from <agent>", "send as this agent (root token only; default: AGENT_RELAY_AGENT_ID)")
        // Repeatable rather than variadic, so a body after it is never taken for a file name.
        .option("--attach <file>", "upload a file and attach it (repeatable)", collect, [] as string[])
        .option(
          "--queue",
          "send even if no registered agent answers to --to yet (one that registers later gets it)",
        )
        .option(
          "--wait <state>",
          "then wait until the recipient's receipt is delivered, seen or answered (exit 1 if refused, ambiguous or late)",
        )
        .option("--timeout <duration>", "how long --wait waits (default: 60s)"),
    json: "the whole message",
    run: send,
  });
  clientCommand(program, "inbox", {
    description: "list unread messages, one per line (--all: read ones too)",
    agent: "whose inbox",
    options: (cmd) =>
      cmd.option("--all", "every message addressed to the agent, read ones marked [read], oldest first"),
    paging: { items: "messages", max: 1000, limit: "50", afterIdHint: "with --all: " },
    json: "the messages",
    run: inbox,
  });
  clientCommand(program, "thread", {
    description:
      "print the conversation a message belongs to (by replyTo), replies indented under what they answer",
    args: [["<id>", "any message of the conversation"]],
    json: "the messages",
    run: thread,
  });

  const msg = clientGroup(program, "msg", "read, reply to or react to a message");
  clientCommand(msg, "read", {
    description: "print a message in full and mark it read for the agent",
    args: [["<id>", "message id"]],
    agent: "mark read for this agent",
    json: "the message",
    run: readMessage,
  });
  clientCommand(msg, "reply", {
    description: "reply to a message's sender; prints the reply's id",
    args: [
      ["<id>", "message id"],
      ["[body]", 'the reply ("-" reads stdin)'],
    ],
    options: (cmd) =>
      cmd
        .option("--from <agent>", "reply as this agent (default: AGENT_RELAY_AGENT_ID)")
        .option("--urgent", "a busy recipient gets it between tool calls of its running turn, not after it"),
    json: "the reply",
    run: reply,
  });
  clientCommand(msg, "react", {
    description: "add a reaction to a message",
    args: [
      ["<id>", "message id"],
      ["<reaction>", "e.g. 👍 or eyes"],
    ],
    agent: "react as this agent",
    run: react,
  });
}

async function send(ctx: ActionContext, bodyArg: string | undefined, o: SendOptions): Promise<void> {
  const to = parseOption(Target, o.to, "--to");
  const payload: Record<string, unknown> = {};
  if (o.taskId !== undefined) payload.taskId = parseOption(IdArg, o.taskId, "--task-id");
  if (o.replyRequired) payload.replyRequired = true;
  const replyTo = o.replyTo === undefined ? undefined : parseOption(IdArg, o.replyTo, "--reply-to");
  const kind = o.kind === undefined ? undefined : parseOption(MessageKind, o.kind, "--kind");
  const subject =
    o.subject === undefined
      ? undefined
      : parseOption(SendMessageRequest.shape.subject, o.subject, "--subject");
  const wait = o.wait === undefined ? undefined : parseWaitState(o.wait);
  const timeoutMs = parseOption(WaitTimeout, o.timeout ?? "60s", "--timeout");
  const fromFlag = agentFrom(o.from);
  const from = fromFlag === undefined ? undefined : parseOption(AgentId, fromFlag, "--from");
  const files = await Promise.all((o.attach ?? []).map(readAttachment));
  const body = await readBody(bodyArg);
  const attachmentIds: string[] = [];
  for (const f of files)
    attachmentIds.push((await ctx.client.uploadAttachment(f.bytes, { name: f.name })).id);
  const message = await ctx.client
    .sendMessage({
      to,
      body,
      payload,
      claimable: o.claimable ?? false,
      ...(o.urgent ? { urgent: true } : {}),
      attachmentIds,
      requireRecipient: !o.queue,
      ...(subject !== undefined ? { subject } : {}),
      ...(kind !== undefined ? { kind } : {}),
      ...(replyTo !== undefined ? { replyTo } : {}),
      ...(from !== undefined ? { from } : {}),
    })
    .catch(withQueueHint);
  if (o.json) printJson(message);
  else printLine(String(message.id));
  if (wait === undefined) return;
  const receipt = await waitForReceipt(ctx.client, message, wait, timeoutMs);
  if (!o.json) printLine(`${receipt.state} for '${receipt.agentId}'`);
}

const WaitTimeout = durationMs(100, 24 * 3_600_000);

/** The relay's "no registered agent answers to …" refusal, with what to do about it. */
export function withQueueHint(e: unknown): never {
  if (isHttpError(e, 404)) {
    throw new Error(`${e.relayMessage}; pass --queue to keep it for an agent that registers later`);
  }
  throw e;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function readAttachment(path: string): Promise<{ name: string; bytes: Uint8Array }> {
  try {
    return { name: basename(path), bytes: new Uint8Array(await readFile(path)) };
  } catch (e) {
    throw new UsageError(`--attach: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

async function inbox(
  ctx: ActionContext,
  o: { agent?: string; limit: string; all?: boolean; afterId?: string; json?: boolean },
): Promise<void> {
  const limit = parseOption(LimitArg, o.limit, "--limit");
  if (o.afterId !== undefined && !o.all) throw new UsageError("--after-id: only with --all");
  const afterId = o.afterId === undefined ? 0 : parseOption(IdArg, o.afterId, "--after-id");
  const agent = await actingName(ctx, o.agent);
  const messages = o.all
    ? (
        await ctx.client.read(
          `/v1/agents/${encodeURIComponent(agent)}/messages?limit=${limit}&afterId=${afterId}`,
          MessagesAnswer,
        )
      ).messages
    : await ctx.client.getUnread(agent, { limit });
  if (o.json) return printJson(messages);
  for (const m of messages) printLine(messageLine(m, o.all ? agent : undefined));
  // Said on stderr, so a person always sees it and a script reading stdout still gets nothing to parse.
  if (messages.length === 0) process.stderr.write(o.all ? "no messages\n" : "no unread messages\n");
}

async function thread(ctx: ActionContext, idArg: string, o: { json?: boolean }): Promise<void> {
  const id = parseOption(IdArg, idArg, "<id>");
  const { messages } = await ctx.client.read(`/v1/messages/${id}/thread?limit=1000`, MessagesAnswer);
  if (o.json) return printJson(messages);
  const depth = new Map<number, number>();
  for (const m of messages) {
    const parent = m.replyTo === undefined ? undefined : depth.get(m.replyTo);
    depth.set(m.id, parent === undefined ? 0 : parent + 1);
    printLine(`${"  ".repeat(Math.min(depth.get(m.id)!, MAX_INDENT))}${messageLine(m)}`);
  }
}

async function readMessage(
  ctx: ActionContext,
  idArg: string,
  o: { agent?: string; json?: boolean },
): Promise<void> {
  const id = parseOption(IdArg, idArg, "<id>");
  const agent = await ownName(ctx, o.agent);
  const message = await ctx.client.getMessage(id);
  // Marked read only after it was fetched, so a failed read never hides a message from the inbox.
  if (agent !== undefined) await ctx.client.markRead(id, agent);
  if (o.json) printJson(message);
  else printLine(messageFull(message));
}

async function reply(
  ctx: ActionContext,
  idArg: string,
  bodyArg: string | undefined,
  o: { from?: string; urgent?: boolean; json?: boolean },
): Promise<void> {
  const id = parseOption(IdArg, idArg, "<id>");
  const fromFlag = agentFrom(o.from);
  const from = fromFlag === undefined ? undefined : parseOption(AgentId, fromFlag, "--from");
  const body = await readBody(bodyArg);
  const original = await ctx.client.getMessage(id);
  const subject =
    original.subject && !/^re:/i.test(original.subject) ? `Re: ${original.subject}` : original.subject;
  const sent = await ctx.client.sendMessage({
    to: original.from,
    body,
    replyTo: id,
    ...(o.urgent ? { urgent: true } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(from !== undefined ? { from } : {}),
  });
  if (o.json) printJson(sent);
  else printLine(String(sent.id));
}

async function react(
  ctx: ActionContext,
  idArg: string,
  reaction: string,
  o: { agent?: string },
): Promise<void> {
  const id = parseOption(IdArg, idArg, "<id>");
  if (reaction.length === 0 || reaction.length > 64)
    throw new UsageError("<reaction>: must be 1-64 characters");
  const agent = await actingName(ctx, o.agent);
  await ctx.client.react(id, agent, reaction);
}
