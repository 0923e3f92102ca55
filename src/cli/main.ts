// Entry point of the `agent-relay-runner` bin: the runner by default, plus `relay` and the messaging subcommands.
import { Command } from "commander";
import pkg from "../../package.json" with { type: "json" };
import { errorMessage } from "../util/errors.ts";
import { nearest } from "./nearest.ts";

type Register = (program: Command) => void;

/**
 * Each group of subcommands by name, and how to load the module declaring it. Only the group a command line names
 * is loaded (all of them for help): a runner never loads the relay, the supervisor or the messaging CLI.
 */
export const COMMAND_GROUPS: readonly { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ["relay"], load: async () => (await import("./relay-command.ts")).registerRelayCommand },
  {
    names: [
      ...["send", "inbox", "thread", "msg", "task", "command", "agents", "permissions", "approve", "deny"],
      ...["stop", "compact", "clear", "whoami", "token"],
    ],
    load: async () => (await import("./client-commands.ts")).registerClientCommands,
  },
  {
    names: ["up", "ps", "down"],
    load: async () => (await import("./team-commands.ts")).registerTeamCommands,
  },
  {
    names: ["attach", "logs", "restart"],
    load: async () => (await import("./agent-commands.ts")).registerAgentCommands,
  },
  { names: ["demo"], load: async () => registerDemo },
];

function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "start the embedded relay and a runner with a terminal agent, send it a message, show its screen",
    )
    .action(async () => {
      const { runDemo } = await import("../demo/demo.ts");
      process.exitCode = await runDemo();
    });
}

/** The program with the groups given (default: every group, as help lists them). */
export async function buildProgram(groups = COMMAND_GROUPS): Promise<Command> {
  const program = new Command("agent-relay-runner")
    .description(
      "Keep an AI coding agent connected to a message relay. Run an agent: agent-relay-runner --provider …",
    )
    .version(pkg.version, "-V, --version")
    .showHelpAfterError();
  const registers = new Set(await Promise.all(groups.map((g) => g.load())));
  for (const register of registers) register(program);
  return program;
}

/** The runner's own help, with every subcommand listed above its options. */
async function fullHelp(program: Command): Promise<string> {
  const { renderHelp } = await import("../config/help.ts");
  const commands = program.commands.map((c) => ({ name: c.name(), description: c.description() }));
  return renderHelp(undefined, commands);
}

/** `help`, `help <cmd>`, `help <cmd> <sub>`: the help of the command named, or one line naming what is unknown. */
async function printHelpFor(words: string[]): Promise<number> {
  const program = await buildProgram();
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
  process.stdout.write(cmd === program ? await fullHelp(program) : cmd.helpInformation());
  return 0;
}

/**
 * A first argument that names a subcommand goes to commander; an option (or nothing) is a runner invocation.
 * A bare first word that is neither is a mistyped command: the runner takes no positional arguments before `--`.
 */
export async function main(argv: string[]): Promise<number> {
  const sub = argv[0];
  const names = COMMAND_GROUPS.flatMap((g) => g.names);
  if (sub === "help") return printHelpFor(argv.slice(1));
  const group = COMMAND_GROUPS.find((g) => sub !== undefined && g.names.includes(sub));
  if (group) {
    await (await buildProgram([group])).parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  }
  const beforeDashes = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  if (beforeDashes.includes("--help") || beforeDashes.includes("-h")) {
    process.stdout.write(await fullHelp(await buildProgram()));
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
  const { runRunnerCli } = await import("./runner-command.ts");
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
