// Reads the runner's flags with commander, its options generated from the option table; parse.ts adds the env twins.
import { Command, CommanderError, Option } from "commander";
import { ConfigError } from "./errors.ts";
import { flagLabel, type OptionSpec } from "./options.ts";

export interface RawArgv {
  /** Raw text per option, in the order given; booleans are "true"/"false" unless written --flag=<text>. */
  values: Map<OptionSpec, string[]>;
  /** Everything after the first `--`. */
  providerArgs: string[];
  help: boolean;
  version: boolean;
}

const label = (spec: OptionSpec) => `${flagLabel(spec)} (${spec.env})`;
const negated = (spec: OptionSpec) => `--no-${spec.flag.slice(2)}`;

/**
 * Accepts `--name value`, `--name=value`, boolean `--name` / `--name=<bool>`, negatable `--no-name`,
 * `-h/--help`, `-V/--version`, and `--` before provider args. Anything else is a ConfigError.
 * Commander's own env reading (Option.env) is not used: it reads process.env, and the caller passes its env.
 */
export function readArgv(argv: readonly string[], options: readonly OptionSpec[]): RawArgv {
  const dash = argv.indexOf("--");
  const flags = dash === -1 ? [...argv] : argv.slice(0, dash);
  const out: RawArgv = {
    values: new Map(),
    providerArgs: dash === -1 ? [] : argv.slice(dash + 1),
    help: flags.includes("-h") || flags.includes("--help"),
    version: flags.includes("-V") || flags.includes("--version"),
  };
  // --help/--version win over everything, a bad value included.
  if (out.help || out.version) return out;

  const known = new Set(options.flatMap((s) => (s.kind === "boolean" ? [s.flag, negated(s)] : [s.flag])));
  const cmd = new Command()
    .exitOverride()
    .helpOption(false)
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  // Each value is appended in order (commander keeps only what the parser returns), so repeats and --no- mix.
  const push = (spec: OptionSpec, raw: string) => {
    out.values.set(spec, [...(out.values.get(spec) ?? []), raw]);
  };
  for (const spec of options) {
    if (spec.kind === "boolean") {
      cmd.addOption(new Option(`${spec.flag} [bool]`).preset("true").argParser((v: string) => push(spec, v)));
      cmd.addOption(new Option(negated(spec)).argParser(() => push(spec, "false")));
      continue;
    }
    cmd.addOption(
      new Option(`${spec.flag} ${spec.placeholder ?? "<value>"}`).argParser((v: string) => {
        // A known flag right after a value-taking option means the value was forgotten, not that it is the value.
        if (known.has(v.split("=")[0]!)) missingValue(spec, JSON.stringify(v));
        push(spec, v);
      }),
    );
  }

  let parsed: { operands: string[]; unknown: string[] };
  try {
    parsed = cmd.parseOptions(flags);
  } catch (e) {
    // The only commander error left once unknown options are returned, not thrown: a value missing at the end.
    if (!(e instanceof CommanderError)) throw e;
    const spec = options.find((s) => s.flag === flags.at(-1))!;
    missingValue(spec, dash === -1 ? "end of arguments" : '"--"');
  }
  const operand = parsed.operands[0];
  const unknown = parsed.unknown[0];
  if (operand !== undefined && (unknown === undefined || flags.indexOf(operand) < flags.indexOf(unknown))) {
    throw new ConfigError(`unexpected argument ${JSON.stringify(operand)}: provider arguments go after --`);
  }
  if (unknown !== undefined) {
    const name = unknown.split("=")[0]!;
    const spec = options.find((s) => s.kind === "boolean" && negated(s) === name);
    if (spec) {
      throw new ConfigError(
        `${label(spec)}: ${name} takes no value, got ${JSON.stringify(unknown.slice(name.length + 1))}`,
        {
          option: spec.flag,
        },
      );
    }
    throw new ConfigError(`unknown option ${name} (run with --help to list the options)`);
  }
  return out;
}

function missingValue(spec: OptionSpec, got: string): never {
  throw new ConfigError(`${label(spec)}: expected a value after ${spec.flag}, got ${got}`, {
    option: spec.flag,
  });
}
