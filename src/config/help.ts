// `--help` text, generated from the option table so every option shows with its env twin and default.
import { flagLabel, type OptionSpec, RUNNER_OPTIONS } from "./options.ts";

const USAGE = "Usage: agent-relay-runner --provider <claude|codex|command> [options] [-- provider args]";

function defaultOf(spec: OptionSpec): string | undefined {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.defaultValue === undefined) return undefined;
  if (spec.kind === "boolean") return spec.defaultValue ? "on" : "off";
  return String(spec.defaultValue);
}

function optionLines(spec: OptionSpec): string[] {
  const head = spec.placeholder ? `${flagLabel(spec)} ${spec.placeholder}` : flagLabel(spec);
  const def = defaultOf(spec);
  const description = def === undefined ? spec.description : `${spec.description} (default: ${def})`;
  return [`  ${head}`, `      env ${spec.env}`, `      ${description}`];
}

/** A subcommand as listed under "Commands:" in the runner's help. */
export interface CommandSummary {
  name: string;
  description: string;
}

function commandLines(commands: readonly CommandSummary[]): string[] {
  if (commands.length === 0) return [];
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Commands (agent-relay-runner help <command> [<sub-command>] for each):",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.description}`),
    "",
  ];
}

export function renderHelp(
  options: readonly OptionSpec[] = RUNNER_OPTIONS,
  commands: readonly CommandSummary[] = [],
): string {
  return [
    USAGE,
    "",
    "Run one agent (Claude Code, Codex or any terminal CLI) and keep it connected to a message relay.",
    "Every option has an environment twin; flags win. Env lists are comma-separated.",
    "Without a relay URL the runner starts the embedded relay in-process.",
    "",
    ...commandLines(commands),
    "Options:",
    ...options.flatMap(optionLines),
    "  -h, --help",
    "      show this help",
    "  -V, --version",
    "      print the version",
    "",
    "Examples:",
    "  agent-relay-runner --provider command -- node_modules/.bin/bun src/demo/demo-agent.ts",
    "  agent-relay-runner --provider claude --relay-url http://127.0.0.1:7700 --tag reviewer --headless",
    "",
  ].join("\n");
}
