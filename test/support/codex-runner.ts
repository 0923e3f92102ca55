// Test helper: the real `agent-relay-runner --provider codex` CLI as a child process, with a private HOME, talking
// to a test relay and to the scripted fake Responses API.
//
//   const agent = await createCodexAgentHome("codex-e2e");        // temp HOME, work dir, agent id
//   const child = await startCodexRunner({ relay, fake, agent, token });
//   ...
//   await child.kill();                                             // SIGKILL, like a crash
//   await agent.remove();                                           // checks nothing of Codex is left first

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { findProcessesWithEnv, terminateProcesses } from "../../src/providers/codex/reap.ts";
import { systemClock } from "../../src/util/clock.ts";
import { processesWithCodexHome } from "../providers/codex/harness.ts";
import { type AgentHome, createAgentHome, terminateRunner, waitForAgentUp } from "./agent-home.ts";
import type { FakeResponsesApi } from "./fake-responses-api.ts";
import type { TestRelay } from "./relay.ts";
import { type RunnerProcess, spawnRunnerCli } from "./runner.ts";

export interface CodexAgentHome extends AgentHome {
  codexHome: string;
  /** The Codex thread id the runner saved for resuming, if any. */
  savedThreadId(): string | undefined;
}

export function createCodexAgentHome(prefix: string): CodexAgentHome {
  const base = createAgentHome(prefix);
  return { ...base, codexHome: join(base.stateDir, "codex-home"), savedThreadId: base.savedSessionId };
}

export interface CodexRunnerChild {
  cli: RunnerProcess;
  /** The attach command the runner printed when the agent came up (what a person copies). */
  attachCommand(): string;
  /** SIGKILL the runner (a crash: it gets no chance to stop Codex). */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit code (graceful stop). */
  terminate(): Promise<number>;
}

export interface StartCodexRunnerOptions {
  relay: Pick<TestRelay, "url">;
  fake: Pick<FakeResponsesApi, "baseUrl">;
  agent: CodexAgentHome;
  token: string;
  extraArgs?: string[];
  /** Environment on top of the harness's own (e.g. OPENAI_API_KEY: "" for a Codex without credentials). */
  env?: Record<string, string>;
}

/** Start the CLI and resolve once it says the agent is up (Codex ready, thread open). */
export async function startCodexRunner(o: StartCodexRunnerOptions): Promise<CodexRunnerChild> {
  const { agent } = o;
  const cli = spawnRunnerCli(
    [
      "--provider",
      "codex",
      "--headless",
      "--relay-url",
      o.relay.url,
      "--agent-id",
      agent.agentId,
      "--runner-id",
      agent.runnerId,
      "--model-base-url",
      o.fake.baseUrl,
      "--cwd",
      agent.cwd,
      "--runner-info-file",
      agent.infoFile,
      ...(o.extraArgs ?? []),
    ],
    {
      HOME: agent.home,
      OPENAI_API_KEY: "test-key",
      AGENT_RELAY_TOKEN: o.token,
      AGENT_RELAY_LOG_LEVEL: process.env.CODEX_E2E_LOG ?? "warn",
      ...o.env,
    },
  );
  const child: CodexRunnerChild = {
    cli,
    attachCommand: () => /attach: (.*?)(?:; log: |\n)/.exec(cli.stderr())?.[1] ?? "",
    kill: () => cli.kill(),
    terminate: () => terminateRunner(cli),
  };
  await waitForAgentUp(cli, agent.agentId, 25_000);
  return child;
}

/** Processes still running with this agent's CODEX_HOME (the app-server, its shells, an attached TUI). */
export function codexProcesses(agent: CodexAgentHome): Promise<string[]> {
  return processesWithCodexHome(agent.codexHome);
}

/** Clean-up after a failed test: end whatever still carries the agent's CODEX_HOME. */
export async function reapCodexLeftovers(agent: CodexAgentHome): Promise<void> {
  await terminateProcesses(await findProcessesWithEnv("CODEX_HOME", agent.codexHome), 1_000, systemClock);
}

/** Live (non-zombie) processes whose environment has `name=value`, as "pid command". */
export async function processesWithEnv(name: string, value: string): Promise<string[]> {
  const needle = `\0${name}=${value}\0`;
  const found: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = await readFile(`/proc/${entry}/environ`, "latin1").catch(() => "");
    if (!`\0${environ}`.includes(needle)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "latin1").catch(() => "");
    if (/^\d+ \(.*\) Z /.test(stat) || stat === "") continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "latin1").catch(() => "");
    found.push(`${entry} ${cmdline.replace(/\0/g, " ").slice(0, 160)}`);
  }
  return found;
}

/** What the agent itself gets from the runner: the control server URL and secret, read from Codex's environment. */
export async function controlServerOf(agent: CodexAgentHome): Promise<{ url: string; secret: string }> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = (await readFile(`/proc/${entry}/environ`, "latin1").catch(() => "")).split("\0");
    if (!environ.includes(`CODEX_HOME=${agent.codexHome}`)) continue;
    const get = (k: string) => environ.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1);
    const url = get("AGENT_RELAY_CONTROL_URL");
    const secret = get("AGENT_RELAY_CONTROL_SECRET");
    if (url && secret) return { url, secret };
  }
  throw new Error(`no Codex process of ${agent.agentId} carries the control server env`);
}
