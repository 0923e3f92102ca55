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
  const description = def === undefined ? spec.description : `${spec.description} [default: ${def}]`;
  return [`  ${head}`, `      env ${spec.env}`, `      ${description}`];
}

export function renderHelp(options: readonly OptionSpec[] = RUNNER_OPTIONS): string {
  return [
    USAGE,
    "",
    "Run one agent (Claude Code, Codex or any terminal CLI) and keep it connected to a message relay.",
    "Every option has an environment twin; flags win. Env lists are comma-separated.",
    "Without a relay URL the runner starts the embedded relay in-process.",
    "",
    "Options:",
    ...options.flatMap(optionLines),
    "  -h, --help",
    "      Show this help.",
    "  -V, --version",
    "      Print the version.",
    "",
    "Examples:",
    "  agent-relay-runner --provider command -- bash",
    "  agent-relay-runner --provider claude --relay-url http://127.0.0.1:7700 --tag reviewer --headless",
    "",
  ].join("\n");
}
