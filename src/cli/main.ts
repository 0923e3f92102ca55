// Entry point of the `agent-relay-runner` bin: the runner by default, plus `relay` and the messaging subcommands.
import { Command } from "commander";
import pkg from "../../package.json" with { type: "json" };
import { RUNNER_OPTIONS, renderHelp } from "../config/index.ts";
import { runDemo } from "../demo/demo.ts";
import { errorMessage } from "../util/errors.ts";
import { registerClientCommands } from "./client-commands.ts";
import { nearest } from "./nearest.ts";
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

/** The runner's own help, with every subcommand listed above its options. */
function fullHelp(program: Command): string {
  const commands = program.commands.map((c) => ({ name: c.name(), description: c.description() }));
  return renderHelp(RUNNER_OPTIONS, commands);
}

/** `help`, `help <cmd>`, `help <cmd> <sub>`: the help of the command named, or one line naming what is unknown. */
function printHelpFor(program: Command, words: string[]): number {
  let cmd = program;
  for (const word of words) {
    const next = cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!next) {
      const hint = nearest(
        word,
        cmd.commands.map((c) => c.name()),
      );
      process.stderr.write(
        `agent-relay-runner help: no command '${[...words.slice(0, words.indexOf(word)), word].join(" ")}'` +
          `${hint ? ` (did you mean '${hint}'?)` : ""}\n`,
      );
      return 2;
    }
    cmd = next;
  }
  process.stdout.write(cmd === program ? fullHelp(program) : cmd.helpInformation());
  return 0;
}

/**
 * A first argument that names a subcommand goes to commander; an option (or nothing) is a runner invocation.
 * A bare first word that is neither is a mistyped command: the runner takes no positional arguments before `--`.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const sub = argv[0];
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  if (sub === "help") return printHelpFor(program, argv.slice(1));
  if (sub !== undefined && names.includes(sub)) {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  }
  const beforeDashes = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  if (beforeDashes.includes("--help") || beforeDashes.includes("-h")) {
    process.stdout.write(fullHelp(program));
    return 0;
  }
  if (sub !== undefined && !sub.startsWith("-")) {
    const hint = nearest(sub, [...names, "help"]);
    process.stderr.write(
      `agent-relay-runner: unknown command '${sub}'${hint ? ` (did you mean '${hint}'?)` : ""}; ` +
        "see agent-relay-runner --help\n",
    );
    return 2;
  }
  return runRunnerCli(argv, process.env);
}

/** The bin: whatever escapes a command (an unwritable HOME, a bug) ends as one line and exit 1, not a stack trace. */
export async function runBin(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    process.stderr.write(`agent-relay-runner: ${errorMessage(e)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exit(await runBin(process.argv.slice(2)));
}
