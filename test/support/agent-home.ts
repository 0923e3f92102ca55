// A throwaway HOME, working directory and state folder for one agent run by the real runner CLI in a test.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunnerProcess } from "./runner.ts";
import { waitFor } from "./wait-for.ts";

export interface AgentHome {
  agentId: string;
  runnerId: string;
  /** HOME of the runner (and so of its tmux server and provider processes). */
  home: string;
  /** The agent's working directory (--cwd). */
  cwd: string;
  /** Where the runner keeps this agent's state: provider config dirs, provider-session.json. */
  stateDir: string;
  infoFile: string;
  /** The provider's native session (Claude session, Codex thread) the runner saved for resuming, if any. */
  savedSessionId(): string | undefined;
  remove(): void;
}

let counter = 0;

export function createAgentHome(prefix: string): AgentHome {
  const dir = mkdtempSync(join(tmpdir(), `relay-${prefix}-`));
  const agentId = `${prefix}-${process.pid}-${++counter}`;
  const home = join(dir, "home");
  const cwd = join(dir, "work");
  mkdirSync(home, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  const stateDir = join(home, ".agent-relay", "agents", agentId);
  return {
    agentId,
    runnerId: `runner-${agentId}`,
    home,
    cwd,
    stateDir,
    infoFile: join(dir, "runner-info.json"),
    savedSessionId() {
      try {
        return JSON.parse(readFileSync(join(stateDir, "provider-session.json"), "utf8")).nativeSessionId;
      } catch {
        return undefined;
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** SIGTERM the runner child if it still runs, and wait for its exit code (a graceful stop). */
export function terminateRunner(cli: RunnerProcess): Promise<number> {
  if (cli.proc.exitCode === null && cli.proc.signalCode === null) cli.proc.kill("SIGTERM");
  return cli.exited;
}

/** Wait until the runner child says the agent is up; on failure kill it and report its stderr. */
export async function waitForAgentUp(cli: RunnerProcess, agentId: string, timeoutMs: number): Promise<void> {
  try {
    await waitFor(() => cli.stderr().includes(`agent ${agentId} is up`) || cli.proc.exitCode !== null, {
      timeoutMs,
      what: `"agent ${agentId} is up"`,
    });
    if (cli.proc.exitCode !== null) throw new Error(`runner exited with ${cli.proc.exitCode}`);
  } catch (e) {
    await cli.kill();
    throw new Error(`${(e as Error).message}; runner stderr: ${cli.stderr().slice(-3000)}`);
  }
}
