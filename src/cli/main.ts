// Entry point of the `agent-relay-runner` bin: the runner by default, plus `relay` and the messaging subcommands.
import { Command } from "commander";
import pkg from "../../package.json" with { type: "json" };
import { runDemo } from "../demo/demo.ts";
import { registerClientCommands } from "./client-commands.ts";
import { registerRelayCommand } from "./relay-command.ts";
import { runRunnerCli } from "./runner-command.ts";
import { registerTeamCommands } from "./team-commands.ts";

export function buildProgram(): Command {
  const program = new Command("agent-relay-runner")
    .description(
      "Keep an AI coding agent connected to a message relay. Run an agent: agent-relay-runner --provider …",
    )
    .version(pkg.version, "-V, --version")
    .showHelpAfterError();
  registerRelayCommand(program);
  registerClientCommands(program);
  registerTeamCommands(program);
  program
    .command("demo")
    .description(
      "Start the embedded relay and a runner with a terminal agent, send it a message, show its screen.",
    )
    .action(async () => {
      process.exitCode = await runDemo();
    });
  return program;
}

/** A first argument that names a subcommand goes to commander; anything else is a runner invocation. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const sub = argv[0];
  const subcommands = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  if (sub !== undefined && (subcommands.has(sub) || sub === "help")) {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  }
  return runRunnerCli(argv, process.env);
}

if (import.meta.main) {
  process.exit(await main(process.argv.slice(2)));
}
