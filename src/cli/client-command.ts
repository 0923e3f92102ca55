// One messaging-CLI command from one description: its arguments, the option groups commands share (the relay
// connection, the acting agent, paging, --json) declared once here, and its action with one-line errors.
import type { Command } from "commander";
import { type ActionContext, asClientCommand, clientAction, withRelayOptions } from "./client-context.ts";

export interface ClientCommandSpec<A extends unknown[]> {
  description: string;
  /** Positional arguments: [name as commander writes it, what it is]. */
  args?: readonly (readonly [string, string])[];
  /** `--agent <id>`: what the agent given does; it defaults to AGENT_RELAY_AGENT_ID, else the token's own name. */
  agent?: string;
  /** The command's own options, declared after the arguments and --agent. */
  options?: (cmd: Command) => Command;
  /** `--limit <n>` (1-max, default `limit`) and `--after-id <n>` over `items`, e.g. "messages". */
  paging?: { items: string; max: number; limit: string; afterIdHint?: string };
  /** `--json`: what it prints as JSON, e.g. "the task". */
  json?: string;
  run: (ctx: ActionContext, ...args: A) => Promise<void>;
}

/** Declare `name` under `parent` (the program or a command group such as `msg`) from its spec. */
export function clientCommand<A extends unknown[]>(
  parent: Command,
  name: string,
  spec: ClientCommandSpec<A>,
): Command {
  const path = parent.parent ? `${parent.name()} ${name}` : name;
  const cmd = withRelayOptions(asClientCommand(parent.command(name), path)).description(spec.description);
  for (const [arg, what] of spec.args ?? []) cmd.argument(arg, what);
  if (spec.agent !== undefined) {
    cmd.option("--agent <id>", `${spec.agent} (default: AGENT_RELAY_AGENT_ID, else the token's own name)`);
  }
  spec.options?.(cmd);
  const paging = spec.paging;
  if (paging) {
    cmd.option("--limit <n>", `at most this many (1-${paging.max})`, paging.limit);
    cmd.option(
      "--after-id <n>",
      `${paging.afterIdHint ?? ""}only ${paging.items} with a larger id (the next page)`,
    );
  }
  if (spec.json !== undefined) cmd.option("--json", `print ${spec.json} as JSON`);
  return cmd.action(clientAction(path, spec.run));
}

/** A command group such as `msg` or `token`: no action of its own, commander's errors in one line. */
export function clientGroup(parent: Command, name: string, description: string): Command {
  return asClientCommand(parent.command(name), name).description(description);
}
