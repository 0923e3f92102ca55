// Non-headless runs on a terminal: attach the person's terminal to the provider's tmux session.
import type { AgentRunner } from "../runner/agent-runner.ts";

/** Attach until the person detaches or the provider ends; detaching leaves the runner running. */
export async function attachTerminal(runner: AgentRunner, say: (line: string) => void): Promise<void> {
  const spec = runner.adapter.terminalAttachSpec();
  if (!spec) return;
  const child = Bun.spawn(spec.command, { stdin: "inherit", stdout: "inherit", stderr: "inherit" });
  await child.exited;
  if (runner.state === "running" && runner.supervisor.isRunning) {
    say(`detached; the runner keeps running. Re-attach: ${spec.command.join(" ")} (Ctrl-C here stops it)`);
  }
}
