// `whoami` and `token create`: who the CLI acts as, and tokens for people (operators) and agents, printed once.
import type { Command } from "commander";
import { z } from "zod";
import { AgentId, OPERATOR_PROFILE, TokenAnswer, WhoamiAnswer } from "../protocol/index.ts";
import { durationMs } from "../util/duration.ts";
import { clientCommand, clientGroup } from "./client-command.ts";
import { type ActionContext, agentFrom, parseOption, UsageError } from "./client-context.ts";
import { printJson, printLine } from "./client-format.ts";

/** The token profile each `--role` mints. */
const ROLE_PROFILES = { operator: OPERATOR_PROFILE, agent: "provider-agent" } as const;
const Role = z.enum(["operator", "agent"]);
const TtlDaysArg = z
  .string()
  .regex(/^[0-9]+$/, "must be a whole number of days")
  .transform(Number)
  .pipe(z.number().int().min(1, "must be 1-30").max(30, "must be 1-30"));

const TtlArg = durationMs(60_000, 30 * 86_400_000);

export function registerIdentityCommands(program: Command): void {
  clientCommand(program, "whoami", {
    description: "print who the CLI acts as on the relay (root, an operator's name, or an agent)",
    json: "it",
    run: whoami,
  });

  const token = clientGroup(program, "token", "mint tokens (root only)");
  clientCommand(token, "create", {
    description: "mint a token and print it once: for a person (--role operator) or an agent (--role agent)",
    options: (cmd) =>
      cmd
        .requiredOption("--name <name>", "the person's name or the agent id the token acts as")
        .option(
          "--role <role>",
          "operator (a person: sends as the name, reads its inbox, commands agents) or agent",
          "operator",
        )
        .option("--ttl <duration>", "lifetime, e.g. 12h or 7d (1m to 30d; default: 7d)")
        .option("--ttl-days <n>", "lifetime in whole days (1-30), the same as --ttl <n>d"),
    run: createToken,
  });
}

async function whoami(ctx: ActionContext, o: { json?: boolean }): Promise<void> {
  const me = await ctx.client.read("/v1/whoami", WhoamiAnswer);
  if (o.json) return printJson(me);
  if (me.kind === "root") return printLine("root (the relay's administrator token)");
  const until = me.expiresAt === undefined ? "" : `, until ${new Date(me.expiresAt * 1000).toISOString()}`;
  printLine(`${me.name} (${me.kind}${until})`);
}

async function createToken(
  ctx: ActionContext,
  o: { name: string; role: string; ttl?: string; ttlDays?: string },
): Promise<void> {
  const role = parseOption(Role, o.role, "--role");
  const name = parseOption(AgentId, o.name, "--name");
  if (o.ttl !== undefined && o.ttlDays !== undefined)
    throw new UsageError("give --ttl or --ttl-days, not both");
  const ttlSeconds =
    o.ttlDays !== undefined
      ? parseOption(TtlDaysArg, o.ttlDays, "--ttl-days") * 24 * 3600
      : Math.round(parseOption(TtlArg, o.ttl ?? "7d", "--ttl") / 1000);
  const answer = await ctx.client.createToken({ agentId: name, profileId: ROLE_PROFILES[role], ttlSeconds });
  // The token alone on stdout, so `> alice.token` captures it; it is shown this once and never stored by the CLI.
  printLine(TokenAnswer.parse(answer).token);
}

/**
 * The name this command acts as: the flag, else AGENT_RELAY_AGENT_ID, else the token's own name (an operator's
 * or an agent's). Root has no inbox of its own, so it must name one.
 */
export async function actingName(
  ctx: ActionContext,
  flag: string | undefined,
  option = "--agent",
): Promise<string> {
  const name = await ownName(ctx, flag, option);
  if (name === undefined) throw new UsageError(`${option} is required (or set AGENT_RELAY_AGENT_ID)`);
  return name;
}

/** As actingName, but undefined for the root token instead of an error. */
export async function ownName(
  ctx: ActionContext,
  flag: string | undefined,
  option = "--agent",
): Promise<string | undefined> {
  const named = agentFrom(flag);
  if (named !== undefined) return parseOption(AgentId, named, option);
  const me = await ctx.client.read("/v1/whoami", WhoamiAnswer);
  return me.kind === "root" ? undefined : me.name;
}
