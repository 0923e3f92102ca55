// Splits the runner's argv into raw option values and provider args, driven by the option table.
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

/**
 * Accepts `--name value`, `--name=value`, boolean `--name` / `--name=<bool>`, negatable `--no-name`,
 * `-h/--help`, `-V/--version`, and `--` before provider args. Anything else is a ConfigError.
 */
export function readArgv(argv: readonly string[], options: readonly OptionSpec[]): RawArgv {
  const byFlag = new Map<string, { spec: OptionSpec; negated: boolean }>();
  for (const spec of options) {
    byFlag.set(spec.flag, { spec, negated: false });
    if (spec.kind === "boolean") byFlag.set(`--no-${spec.flag.slice(2)}`, { spec, negated: true });
  }
  const out: RawArgv = { values: new Map(), providerArgs: [], help: false, version: false };
  const push = (spec: OptionSpec, raw: string) => {
    const list = out.values.get(spec) ?? [];
    list.push(raw);
    out.values.set(spec, list);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.providerArgs = argv.slice(i + 1);
      break;
    }
    if (arg === "-h" || arg === "--help") {
      out.help = true;
      continue;
    }
    if (arg === "-V" || arg === "--version") {
      out.version = true;
      continue;
    }
    if (!arg.startsWith("-")) {
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}: provider arguments go after --`);
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const hit = byFlag.get(name);
    if (!hit) throw new ConfigError(`unknown option ${name} (run with --help to list the options)`);
    const { spec, negated } = hit;
    const label = `${flagLabel(spec)} (${spec.env})`;

    if (spec.kind === "boolean") {
      if (negated && inline !== undefined) {
        throw new ConfigError(`${label}: ${name} takes no value, got ${JSON.stringify(inline)}`, {
          option: spec.flag,
        });
      }
      push(spec, negated ? "false" : (inline ?? "true"));
      continue;
    }
    if (inline !== undefined) {
      push(spec, inline);
      continue;
    }
    const next = argv[i + 1];
    // A known flag right after a value-taking option means the value was forgotten, not that it is the value.
    if (next === undefined || next === "--" || byFlag.has(next.split("=")[0]!)) {
      const got = next === undefined ? "end of arguments" : JSON.stringify(next);
      throw new ConfigError(`${label}: expected a value after ${spec.flag}, got ${got}`, {
        option: spec.flag,
      });
    }
    push(spec, next);
    i++;
  }
  return out;
}
