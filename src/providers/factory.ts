// Builds the provider adapter a runner config asks for.
import type { Logger } from "pino";
import type { RunnerConfig } from "../config/index.ts";
import type { Clock } from "../util/clock.ts";
import { RunnerError } from "../util/errors.ts";
import type { ProviderAdapter } from "./adapter.ts";
import { CommandAdapter } from "./command/index.ts";

export interface AdapterDeps {
  logger: Logger;
  clock: Clock;
  /** Private state folder for this runner (provider config dirs live below it). */
  stateDir: string;
  relayUrl: string;
}

/** tmux names: letters, digits, `_` and `-` only (`.` and `:` are target separators). */
export function tmuxName(raw: string): string {
  return raw.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 100);
}

export function tmuxNamesFor(config: RunnerConfig): { socket: string; session: string } {
  return {
    socket: `agent-relay-${tmuxName(config.runnerId)}`,
    session: config.tmuxSession ?? tmuxName(`agent-${config.agentId}`),
  };
}

export function createAdapter(config: RunnerConfig, deps: AdapterDeps): ProviderAdapter {
  const tmux = tmuxNamesFor(config);
  switch (config.provider) {
    case "command":
      return new CommandAdapter({
        command: [...config.providerArgs],
        cwd: config.cwd,
        tmuxSocket: tmux.socket,
        tmuxSession: tmux.session,
        readyPattern: config.readyPattern,
        quietMs: config.quietMs,
        clock: deps.clock,
        logger: deps.logger,
      });
    default:
      throw new RunnerError(
        "NOT_SUPPORTED",
        `the ${config.provider} provider is not wired into this build yet`,
      );
  }
}
