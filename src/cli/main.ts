// Entry point of the `agent-relay-runner` bin: the runner by default, plus `relay` and the messaging subcommands.
import { Command } from "commander";
import pkg from "../../package.json" with { type: "json" };
import { registerClientCommands } from "./client-commands.ts";
import { registerRelayCommand } from "./relay-command.ts";

export function buildProgram(): Command {
  const program = new Command("agent-relay-runner")
    .description("Keep an AI coding agent connected to a message relay.")
    .version(pkg.version, "-V, --version")
    .showHelpAfterError();
  registerRelayCommand(program);
  registerClientCommands(program);
  return program;
}

if (import.meta.main) {
  await buildProgram().parseAsync(process.argv);
}
