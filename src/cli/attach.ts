// A runner's terminal for people: attach the starting terminal to it, and keep the record `attach <agent>` reads.
import type { RunnerConfig } from "../config/index.ts";
import type { AgentRunner } from "../runner/agent-runner.ts";
import { errorMessage } from "../util/errors.ts";
import type { Logger } from "../util/logger.ts";
import { agentLogPath, LocalAgentWriter, localAgentPath } from "./local-agent.ts";

/** Attach until the person detaches or the provider ends; detaching leaves the runner running. */
export async function attachTerminal(runner: AgentRunner, say: (line: string) => void): Promise<void> {
  const spec = runner.adapter.terminalAttachSpec();
  if (!spec) return;
  const child = Bun.spawn(spec.command, { stdin: "inherit", stdout: "inherit", stderr: "inherit" });
  await child.exited;
  if (runner.state === "running" && runner.supervisor.isRunning) {
    say(
      `detached; the runner keeps running. Re-attach: agent-relay-runner attach ${runner.config.agentId} (Ctrl-C here stops it)`,
    );
  }
}

/**
 * Record the running agent for `attach`, `logs` and `--detach` (~/.agent-relay/runners/<agent>.local.json, 0600),
 * rewritten when its attach command changes (a new Codex thread after a restart). `logFile`: the runner's own.
 */
export function recordLocalAgent(
  runner: AgentRunner,
  config: Pick<RunnerConfig, "agentId" | "provider" | "headless">,
  logFile: string | undefined,
  logger: Logger,
): { remove(): Promise<void> } {
  const writer = new LocalAgentWriter(localAgentPath(config.agentId), (e) =>
    logger.warn(
      { err: errorMessage(e) },
      "could not write the agent record; attach <agent> will not find it",
    ),
  );
  // Detached or run by a supervisor, stdout is the agent's log file.
  const log = logFile ?? (process.stdout.isTTY ? undefined : agentLogPath(config.agentId));
  const write = () => {
    const spec = runner.adapter.terminalAttachSpec();
    void writer.update({
      agentId: config.agentId,
      provider: config.provider,
      headless: config.headless,
      logFile: log,
      attach: spec && { command: spec.command, tmux: spec.tmux, tmuxTmpdir: process.env.TMUX_TMPDIR },
    });
  };
  write();
  const off = runner.adapter.onEvent(write);
  return {
    remove: async () => {
      off();
      await writer.remove();
    },
  };
}
