// Test helper: the real runner CLI with the command provider (echo-agent fixture) in a private HOME and TMUX_TMPDIR,
// for tests of start-up, shutdown and what the provider can see.
//
//   afterEach(cleanupCommandClis);
//   const c = spawnCommandCli({ agentId: "a1", relayUrl: relay.url, token: relay.rootToken });
//   await c.up();                                  // "agent a1 is up" on stderr
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTmux } from "../../src/providers/tmux/run.ts";
import { agentTmuxSocket } from "../../src/providers/tmux/socket-name.ts";
import { echoAgentCommand } from "../fixtures/echo-agent-record.ts";
import { type RunnerProcess, spawnRunnerCli } from "./runner.ts";
import { waitFor } from "./wait-for.ts";

export interface CommandCliOptions {
  agentId: string;
  relayUrl: string;
  /** Passed as AGENT_RELAY_TOKEN (never on argv). */
  token: string;
  /** More runner flags, before `--`. */
  extraArgs?: string[];
  env?: Record<string, string>;
  /** Reuse this HOME (a restart of the same agent); default a fresh temp folder. */
  home?: string;
  /** The program the provider runs; default the echo-agent fixture. */
  command?: string[];
  /** Default `cli-<agentId>` (the tmux socket is named after the agent id). */
  runnerId?: string;
  /** Default true. */
  headless?: boolean;
  /** The runner's --cwd; default its HOME. */
  cwd?: string;
}

export interface CommandCli {
  runner: RunnerProcess;
  agentId: string;
  /** HOME, TMUX_TMPDIR and cwd of the runner. */
  home: string;
  record: string;
  tmuxEnv: Record<string, string>;
  socket: string;
  up(timeoutMs?: number): Promise<void>;
}

const started: CommandCli[] = [];
const homes = new Set<string>();

/** Kill every CLI started here, its tmux server, and remove its HOME (for afterEach). */
export async function cleanupCommandClis(): Promise<void> {
  for (const c of started.splice(0)) {
    await c.runner.kill();
    await runTmux(c.socket, ["kill-server"], { env: c.tmuxEnv }).catch(() => {});
  }
  for (const home of homes) rmSync(home, { recursive: true, force: true });
  homes.clear();
}

export function spawnCommandCli(o: CommandCliOptions): CommandCli {
  const home = o.home ?? mkdtempSync(join(tmpdir(), "relay-cli-home-"));
  homes.add(home);
  const record = join(home, "record.jsonl");
  const tmuxEnv = { TMUX_TMPDIR: home };
  const runnerId = o.runnerId ?? `cli-${o.agentId}`;
  const runner = spawnRunnerCli(
    [
      "--provider",
      "command",
      ...((o.headless ?? true) ? ["--headless"] : []),
      "--agent-id",
      o.agentId,
      "--runner-id",
      runnerId,
      "--relay-url",
      o.relayUrl,
      "--cwd",
      o.cwd ?? home,
      "--ready-pattern",
      "ready> $",
      "--quiet-ms",
      "300",
      ...(o.extraArgs ?? []),
      "--",
      ...(o.command ?? echoAgentCommand()),
    ],
    {
      HOME: home,
      ...tmuxEnv,
      AGENT_RELAY_TOKEN: o.token,
      ECHO_AGENT_RECORD: record,
      AGENT_RELAY_LOG_LEVEL: process.env.CLI_TEST_LOG ?? "warn",
      ...o.env,
    },
  );
  const c: CommandCli = {
    runner,
    agentId: o.agentId,
    home,
    record,
    tmuxEnv,
    socket: agentTmuxSocket(o.agentId),
    up: async (timeoutMs = 20_000) => {
      await waitFor(() => runner.stderr().includes(`agent ${o.agentId} is up`), {
        timeoutMs,
        what: `"agent ${o.agentId} is up" (stderr: ${runner.stderr().slice(-1500)})`,
      });
    },
  };
  started.push(c);
  return c;
}

/** The pid of the program in the CLI's tmux pane. */
export async function panePid(c: Pick<CommandCli, "socket" | "tmuxEnv">): Promise<number> {
  const out = await runTmux(c.socket, ["list-panes", "-a", "-F", "#{pane_pid}"], { env: c.tmuxEnv });
  return Number(out.trim().split("\n")[0]);
}

/** Whether the CLI's tmux server answers. */
export async function tmuxAlive(c: Pick<CommandCli, "socket" | "tmuxEnv">): Promise<boolean> {
  try {
    await runTmux(c.socket, ["list-sessions"], { env: c.tmuxEnv });
    return true;
  } catch {
    return false;
  }
}
