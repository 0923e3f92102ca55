// Test helper: the real `agent-relay-runner --provider claude` CLI as a child process, with a private HOME, talking
// to a test relay and to the scripted fake Anthropic Messages API.
//
//   const agent = createClaudeAgentHome("claude-e2e");            // temp HOME, work dir, agent id
//   const child = await startClaudeRunner({ relay, fake, agent, token, monitor: "on" });
//   ...
//   await child.terminate();                                        // SIGTERM, graceful stop
//   await reapClaudeLeftovers(agent); agent.remove();

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { findProcessesWithEnv, terminateProcesses } from "../../src/providers/codex/reap.ts";
import { systemClock } from "../../src/util/clock.ts";
import { type AgentHome, createAgentHome, terminateRunner, waitForAgentUp } from "./agent-home.ts";
import { processesWithEnv } from "./codex-runner.ts";
import type { FakeAnthropicApi } from "./fake-anthropic-api.ts";
import type { TestRelay } from "./relay.ts";
import { type RunnerProcess, spawnRunnerCli } from "./runner.ts";
import { waitFor } from "./wait-for.ts";

export { processesWithEnv };

export interface ClaudeAgentHome extends AgentHome {
  /** The agent's private CLAUDE_CONFIG_DIR (every Claude, hook and monitor process carries it). */
  configDir: string;
}

export function createClaudeAgentHome(prefix: string): ClaudeAgentHome {
  const base = createAgentHome(prefix);
  return { ...base, configDir: join(base.stateDir, "claude-config") };
}

export interface ClaudeRunnerChild {
  cli: RunnerProcess;
  /** SIGKILL the runner (a crash). */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit code (graceful stop). */
  terminate(): Promise<number>;
}

export interface StartClaudeRunnerOptions {
  relay: Pick<TestRelay, "url">;
  fake: Pick<FakeAnthropicApi, "url">;
  agent: ClaudeAgentHome;
  token: string;
  /** "on": the adapter's default (relay monitor armed); "off": AGENT_RELAY_CLAUDE_MONITOR=off, the paste path. */
  monitor: "on" | "off";
  /** "on" (default): Claude's inbox is the first path; "off": AGENT_RELAY_CLAUDE_INBOX=off, the monitor or a paste. */
  inbox?: "on" | "off";
  extraArgs?: string[];
  /** Environment on top of the harness's own (e.g. ANTHROPIC_API_KEY: "" for a Claude without credentials). */
  env?: Record<string, string>;
}

/** Start the CLI and resolve once it says the agent is up (Claude at its prompt, SessionStart seen). */
export async function startClaudeRunner(o: StartClaudeRunnerOptions): Promise<ClaudeRunnerChild> {
  const { agent } = o;
  const cli = spawnRunnerCli(
    [
      "--provider",
      "claude",
      "--headless",
      "--relay-url",
      o.relay.url,
      "--agent-id",
      agent.agentId,
      "--runner-id",
      agent.runnerId,
      "--model-base-url",
      o.fake.url,
      "--cwd",
      agent.cwd,
      "--runner-info-file",
      agent.infoFile,
      ...(o.extraArgs ?? []),
    ],
    {
      HOME: agent.home,
      AGENT_RELAY_TOKEN: o.token,
      ANTHROPIC_API_KEY: "test-key",
      DISABLE_AUTOUPDATER: "1",
      AGENT_RELAY_CLAUDE_MONITOR: o.monitor,
      AGENT_RELAY_CLAUDE_INBOX: o.inbox ?? "on",
      AGENT_RELAY_LOG_LEVEL: process.env.CLAUDE_E2E_LOG ?? "warn",
      ...o.env,
    },
  );
  const child: ClaudeRunnerChild = {
    cli,
    kill: () => cli.kill(),
    terminate: () => terminateRunner(cli),
  };
  await waitForAgentUp(cli, agent.agentId, 30_000);
  return child;
}

/** Live processes of this agent: everything under its HOME (runner, tmux server, Claude, hooks, monitor). */
export function agentProcesses(agent: ClaudeAgentHome): Promise<string[]> {
  return processesWithEnv("HOME", agent.home);
}

/** Live processes carrying the agent's CLAUDE_CONFIG_DIR: Claude itself, its hooks and its monitor. */
export function claudeProcesses(agent: ClaudeAgentHome): Promise<string[]> {
  return processesWithEnv("CLAUDE_CONFIG_DIR", agent.configDir);
}

/** Clean-up after a failed test: end whatever still runs under the agent's HOME. */
export async function reapClaudeLeftovers(agent: ClaudeAgentHome): Promise<void> {
  await terminateProcesses(await findProcessesWithEnv("HOME", agent.home), 1_000, systemClock);
}

export interface ClaudeSessionState {
  pid: number;
  sessionId: string;
  /** `busy`, `idle`, `shell` (idle with a background task such as the monitor), `waiting`. */
  status: string;
  statusUpdatedAt: number;
}

/** Claude's own state files (`sessions/<pid>.json` in the config dir): the truth about busy and idle. */
export async function claudeSessionStates(agent: ClaudeAgentHome): Promise<ClaudeSessionState[]> {
  const dir = join(agent.configDir, "sessions");
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: ClaudeSessionState[] = [];
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    try {
      out.push(JSON.parse(await readFile(join(dir, name), "utf8")) as ClaudeSessionState);
    } catch {
      // Rewritten or removed under us: the next poll reads it.
    }
  }
  return out;
}

/** Resolves once Claude itself says it went idle at or after `since` (epoch ms). */
export function claudeIdleSince(agent: ClaudeAgentHome, since: number, timeoutMs = 20_000): Promise<true> {
  return waitFor(
    async () =>
      (await claudeSessionStates(agent)).some(
        (s) => (s.status === "idle" || s.status === "shell") && s.statusUpdatedAt >= since,
      ) || undefined,
    { timeoutMs, intervalMs: 25, what: "Claude to go idle" },
  );
}
