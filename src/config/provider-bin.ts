// Finds the provider executable: explicit --provider-bin, then PATH, then this package's own node_modules/.bin.
import { accessSync, constants } from "node:fs";
import { PACKAGE_ROOT } from "../util/package-root.ts";
import { ConfigError } from "./errors.ts";
import type { ProviderName } from "./schema.ts";

export interface ProviderBinDeps {
  /** Looks a bare name up on PATH; default Bun.which. */
  which?: (name: string) => string | null;
  /** Folder holding this package's node_modules; default the repository root. */
  packageRoot?: string;
}

const BIN_NAMES: Record<Exclude<ProviderName, "command">, string> = { claude: "claude", codex: "codex" };

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path to run. An explicit value is checked too (a path must be executable, a bare name must be on
 * PATH) so a typo fails at start-up, naming what was tried, rather than at spawn.
 */
export function resolveProviderBin(
  provider: ProviderName,
  explicit?: string,
  deps: ProviderBinDeps = {},
): string {
  const which = deps.which ?? ((name: string) => Bun.which(name));
  const tried: string[] = [];
  if (explicit !== undefined) {
    const found = explicit.includes("/") ? (isExecutable(explicit) ? explicit : null) : which(explicit);
    if (found) return found;
    throw new ConfigError(
      `--provider-bin (AGENT_RELAY_PROVIDER_BIN): expected an executable path or a command on PATH, got ${JSON.stringify(explicit)}`,
      { option: "--provider-bin" },
    );
  }
  if (provider === "command") {
    throw new ConfigError(
      "the command provider runs the program given after --; it has no default executable",
      {
        option: "--provider-bin",
      },
    );
  }
  const name = BIN_NAMES[provider];
  const onPath = which(name);
  if (onPath) return onPath;
  tried.push(`${name} on PATH`);
  const local = `${deps.packageRoot ?? PACKAGE_ROOT}/node_modules/.bin/${name}`.replace(/\/+/g, "/");
  if (isExecutable(local)) return local;
  tried.push(local);
  throw new ConfigError(
    `--provider-bin (AGENT_RELAY_PROVIDER_BIN): no ${name} executable found; tried ${tried.join(", then ")}`,
    { option: "--provider-bin" },
  );
}
