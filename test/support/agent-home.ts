// A throwaway HOME, working directory and state folder for one agent run by the real runner CLI in a test.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
