// `attach`, `logs`, `restart`: one agent by id, whether a team's supervisor runs it or a person started it by hand.
import { existsSync } from "node:fs";
import type { Command as Cli } from "commander";
import { AgentId } from "../protocol/index.ts";
import { runTmux } from "../providers/tmux/run.ts";
import { ControlClient, ControlError } from "../supervisor/control-client.ts";
import { supervisorPaths } from "../supervisor/paths.ts";
import { errorMessage } from "../util/errors.ts";
import { clientCommand } from "./client-command.ts";
import {
  type ActionContext,
  asClientCommand,
  clientAction,
  parseOption,
  UsageError,
} from "./client-context.ts";
import { printLine } from "./client-format.ts";
import { agentLogPath, type LocalAgentRecord, readLiveAgent } from "./local-agent.ts";
import { lineFormatter } from "./log-format.ts";
import { type WaitOptions, waitFlags, waitOptions } from "./system-commands.ts";
import { issueCommand } from "./task-commands.ts";
import { followFile } from "./team-io.ts";

export function registerAgentCommands(program: Cli): void {
  clientCommand(program, "attach", {
    description:
      "attach this terminal to an agent's terminal on this machine (detach again with Ctrl-b d; the agent keeps running)",
    args: [["<agent>", "agent id"]],
    options: (cmd) => cmd.option("--print", "print the attach command instead of running it"),
    run: attach,
  });
  // No relay options: a log is read from this machine's files only.
  asClientCommand(program.command("logs"), "logs")
    .description("print an agent's runner log with local times (a team's agent or one started with --detach)")
    .argument("<agent>", "agent id")
    .option("-f, --follow", "keep printing what is appended (Ctrl-C stops)")
    .option("--json", "print the raw JSON lines")
    .action(clientAction("logs", logs));
  clientCommand(program, "restart", {
    description:
      "restart an agent: a team agent's runner through the supervisor, else its program through the relay (agent.restart)",
    args: [["<agent>", "agent id"]],
    options: waitOptions,
    json: "the command (relay case)",
    run: restart,
  });
}

/** Why there is nothing to attach to on this machine: unknown, or known to the relay and so run elsewhere. */
async function notHere(ctx: ActionContext, id: string): Promise<Error> {
  let known: boolean | undefined;
  try {
    known = (await ctx.client.listAgents()).some((a) => a.id === id);
  } catch {
    known = undefined; // no relay to ask: say what this machine knows
  }
  if (known === true)
    return new Error(`agent '${id}' is registered on the relay but its runner is not on this machine`);
  if (known === false)
    return new Error(
      `no agent '${id}': no runner of it here and the relay does not know it (see: agent-relay-runner agents)`,
    );
  return new Error(`no runner of agent '${id}' on this machine`);
}

function quoted(argv: readonly string[]): string {
  return argv
    .map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`))
    .join(" ");
}

async function attach(ctx: ActionContext, agentArg: string, o: { print?: boolean }): Promise<void> {
  const id = parseOption(AgentId, agentArg, "<agent>");
  const record = readLiveAgent(id);
  if (!record) throw await notHere(ctx, id);
  const spec = record.attach;
  if (!spec || !(await sessionExists(spec))) {
    throw new Error(
      `agent '${id}' has no terminal to attach to now (provider ${record.provider}${record.headless ? ", headless" : ""}` +
        `${spec ? ", its program is not running" : ""}); read its log instead: agent-relay-runner logs ${id}`,
    );
  }
  if (o.print) return printLine(quoted(spec.command));
  if (!process.stdin.isTTY)
    throw new UsageError("attach needs a terminal on stdin (--print shows the command)");
  process.exitCode = await runAttach(record, spec);
}

/** A tmux attach needs its session (a stopped program has none); a command that creates its session (Codex) does not. */
async function sessionExists(spec: NonNullable<LocalAgentRecord["attach"]>): Promise<boolean> {
  if (!spec.tmux || !spec.command.includes("attach")) return true;
  const env = spec.tmuxTmpdir ? { TMUX_TMPDIR: spec.tmuxTmpdir } : undefined;
  return runTmux(spec.tmux.socket, ["has-session", "-t", spec.tmux.session], { env }).then(
    () => true,
    () => false,
  );
}

async function runAttach(
  record: LocalAgentRecord,
  spec: NonNullable<LocalAgentRecord["attach"]>,
): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The agent's private server is not the person's own tmux: attaching from inside a tmux pane is fine.
  delete env.TMUX;
  if (spec.tmuxTmpdir) env.TMUX_TMPDIR = spec.tmuxTmpdir;
  else delete env.TMUX_TMPDIR;
  const child = Bun.spawn(spec.command, { env, stdin: "inherit", stdout: "inherit", stderr: "inherit" });
  const code = await child.exited;
  if (code !== 0)
    process.stderr.write(
      `agent-relay-runner attach: ${spec.command[0]} exited with ${code} (agent ${record.agentId})\n`,
    );
  return code;
}

async function logs(
  _ctx: ActionContext,
  agentArg: string,
  o: { follow?: boolean; json?: boolean },
): Promise<void> {
  const id = parseOption(AgentId, agentArg, "<agent>");
  const file = agentLogPath(id);
  if (!existsSync(file)) {
    const live = readLiveAgent(id);
    if (live && !live.logFile) {
      throw new Error(
        `agent '${id}' logs to the terminal it was started in (start it with --detach to keep a log in ${file})`,
      );
    }
    throw new Error(`no log for '${id}' (${file})`);
  }
  const write = (text: string | Buffer) => process.stdout.write(text);
  const pretty = o.json ? undefined : lineFormatter(write);
  await followFile(file, (chunk) => (pretty ? pretty.push(chunk) : write(chunk)), o.follow ?? false);
  pretty?.flush();
}

async function restart(ctx: ActionContext, agentArg: string, o: WaitOptions): Promise<void> {
  const id = parseOption(AgentId, agentArg, "<agent>");
  const supervisor = new ControlClient(supervisorPaths().socket);
  let notInTeam = "";
  if ((await supervisor.ping()) !== undefined) {
    try {
      await supervisor.call("POST", "/v1/restart", { agent: id });
      return printLine(`restarted ${id}`);
    } catch (e) {
      if (!(e instanceof ControlError && e.status === 404)) throw e;
      notInTeam = `${e.message}; `;
    }
  }
  try {
    await issueCommand(ctx, { target: id, type: "agent.restart", params: {} }, waitFlags(o));
  } catch (e) {
    throw new Error(`${notInTeam}${errorMessage(e)}`, { cause: e });
  }
}
