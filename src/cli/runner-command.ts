// `agent-relay-runner --provider …`: parse the config, find or start the relay, run one agent until it should stop.
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { isConfigError, parseRunnerCli, type RunnerConfig, renderHelp } from "../config/index.ts";
import type { ProviderAdapter } from "../providers/adapter.ts";
import { createAdapter, tmuxNamesFor } from "../providers/factory.ts";
import { resolveIsolation } from "../providers/isolation.ts";
import { loadTeamProfile, profileSummary, type TeamProfileFile } from "../providers/team-profile.ts";
import { tmuxBaseArgs } from "../providers/tmux/run.ts";
import { Tmux } from "../providers/tmux/tmux.ts";
import { defaultRelayDir } from "../relay/local-info.ts";
import { AgentRunner } from "../runner/agent-runner.ts";
import { AgentLeftovers } from "../runner/orphans.ts";
import { DEFAULT_START_TIMEOUT_MS, resolveRelayTarget } from "../runner/relay-target.ts";
import { recordLeftovers, resumeTasks } from "../runner/restart-recovery.ts";
import { SessionStore } from "../runner/session-store.ts";
import { startBudget } from "../runner/start-retry.ts";
import { usageMeterFor } from "../runner/usage-meter.ts";
import { isWorktreeError, planWorktree, type WorktreePlan } from "../runner/worktree-git.ts";
import { systemClock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import { createLogger, type Logger } from "../util/logger.ts";
import { attachTerminal, recordLocalAgent } from "./attach.ts";
import { BIN_PATH } from "./bin-path.ts";
import { agentLogPath, ensurePrivateLog, readLiveAgent, safeSegment } from "./local-agent.ts";
import { runDetached } from "./runner-detach.ts";
import { onStopSignals } from "./runner-signals.ts";

export { BIN_PATH };

/** This runner's own folder: bin/, src/, and node_modules with Bun and the provider CLIs. */
const INSTALL_DIR = resolve(dirname(BIN_PATH), "..");

function loggerFor(config: RunnerConfig): { logger: Logger; file?: string } {
  if (config.headless)
    return { logger: createLogger({ level: config.logLevel, name: "agent-relay-runner" }) };
  // A person's terminal belongs to the provider: diagnostics go to a file.
  const file = agentLogPath(config.agentId);
  ensurePrivateLog(file);
  return { logger: createLogger({ level: config.logLevel, name: "agent-relay-runner", file }), file };
}

/** Run the runner; resolves with the process exit code. */
export async function runRunnerCli(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let config: RunnerConfig;
  let teamProfile: TeamProfileFile | undefined;
  let worktree: WorktreePlan | undefined;
  // What a --detach re-run needs back in its env (this process drops it from its own below).
  const givenToken = env.AGENT_RELAY_TOKEN;
  try {
    const cli = parseRunnerCli(argv, env);
    if (cli.action === "help") {
      process.stdout.write(renderHelp());
      return 0;
    }
    if (cli.action === "version") {
      process.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    config = cli.config;
    // Read before anything starts: a bad file is one line and exit 2, with no relay or provider started.
    teamProfile = config.profileFile ? loadTeamProfile(config.profileFile) : undefined;
    // --worktree: the provider works in the agent's own checkout, at --cwd's place in it (made once leased).
    worktree = config.worktree ? planWorktree(config.cwd, config.agentId) : undefined;
    if (worktree) config = { ...config, cwd: worktree.cwd };
    // Read once into the config: no child (tmux, ps, Codex, the provider) inherits the token the runner was given.
    delete process.env.AGENT_RELAY_TOKEN;
  } catch (e) {
    if (isConfigError(e) || isWorktreeError(e)) {
      process.stderr.write(`agent-relay-runner: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (config.detach) return runDetached(argv, config, env, givenToken);

  const { logger, file } = loggerFor(config);
  const say = (line: string) => process.stderr.write(`agent-relay-runner: ${line}\n`);
  // A stop signal works from the first moment: during start-up it aborts the start, later it stops the runner.
  const starting = new AbortController();
  let runner: AgentRunner | undefined;
  let stoppedBy: string | undefined;
  const tmux = tmuxNamesFor(config);
  onStopSignals(
    (signal) => {
      stoppedBy = signal;
      say(`${signal}: stopping`);
      starting.abort();
      void runner?.stop({ code: 0, reason: signal, graceful: true, deregister: true });
    },
    say,
    // Leaving at once: at least take the provider's tmux server down (what remains, the next start ends).
    () =>
      spawnSync("tmux", [...tmuxBaseArgs(tmux.socket), "kill-server"], { timeout: 1_000, stdio: "ignore" }),
  );
  const budget = startBudget(logger, config.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, starting.signal);
  // A predecessor killed without a chance to stop (SIGKILL, crash) left its provider running: end it first.
  // Outside the agent's home: an isolated provider can write there, and must not steer what its next runner ends.
  const leftoversPath = join(defaultRelayDir(), "runners", `${safeSegment(config.agentId)}.json`);
  const leftovers = new AgentLeftovers(leftoversPath, systemClock, logger);
  const left = await leftovers.reclaim();
  // One runner per agent on a machine: a twin would share its tmux socket and take over its relay registration
  // (labels and tags included), so the second one is refused instead.
  if (left.predecessorAlive) {
    const pid = readLiveAgent(config.agentId)?.pid;
    say(
      `agent ${config.agentId} already runs on this machine${pid ? ` (runner pid ${pid})` : ""}; ` +
        `stop it first (agent-relay-runner stop ${config.agentId}) or pick another --agent-id`,
    );
    return 1;
  }
  // Recorded from the start (a crash during start-up is a crash too), unless a live runner's record is there: this
  // runner's own replaces it once it is up.
  await leftovers.write({
    tmuxSocket: tmux.socket,
    tmuxTmpdir: process.env.TMUX_TMPDIR,
    tasks: left.tasks,
  });
  let target: Awaited<ReturnType<typeof resolveRelayTarget>>;
  try {
    target = await resolveRelayTarget(config, logger, budget);
  } catch (e) {
    if (stoppedBy) return 0;
    say(`could not start: ${errorMessage(e)}`);
    return isConfigError(e) ? 2 : 1;
  }
  if (target.embedded)
    say(`embedded relay listening on ${target.url} (details in ${defaultRelayDir()}/relay.json)`);

  // Per-agent state (provider config dirs, the session to resume) lives under ~/.agent-relay/agents/<agent>/.
  const stateDir = join(defaultRelayDir(), "agents", safeSegment(config.agentId));
  const sessionStore = new SessionStore(join(stateDir, "provider-session.json"), config.provider);
  const resumeSessionId = await sessionStore.load();
  const cacheDir = join(defaultRelayDir(), "cache");
  let adapter: ProviderAdapter;
  try {
    const isolation = resolveIsolation(
      config.isolate,
      {
        relayDir: defaultRelayDir(),
        agentHome: stateDir,
        attachmentsDir: join(cacheDir, "attachments", config.agentId),
        // The worktree's top (its .git file) must be visible too, not only --cwd's place in it.
        cwd: worktree?.path ?? config.cwd,
        env: process.env,
        programDirs: [INSTALL_DIR],
      },
      logger,
    );
    adapter = await createAdapter(config, {
      logger,
      clock: systemClock,
      stateDir,
      relayUrl: target.url,
      resumeSessionId,
      isolation,
      profile: teamProfile,
    });
  } catch (e) {
    say(errorMessage(e));
    await target.embedded?.stop();
    return isConfigError(e) ? 2 : 1;
  }
  const usage = usageMeterFor(config, adapter, join(stateDir, "usage.json"));
  await usage.load();
  runner = new AgentRunner({
    config,
    adapter,
    sessionStore,
    usage,
    resumeFirstSpawn: resumeSessionId !== undefined,
    relayUrl: target.urls,
    credentials: target.credentials,
    logger,
    cacheDir,
    binPath: BIN_PATH,
    profile: profileSummary(teamProfile, config.profile, config.systemPromptAppend !== undefined),
    worktree,
    connectTimeoutMs: Math.max(1_000, budget.deadline - Date.now()),
  });
  if (stoppedBy) {
    await target.embedded?.stop();
    return 0;
  }

  try {
    await runner.start();
  } catch (e) {
    if (!stoppedBy) say(`could not start: ${errorMessage(e)}`);
    await target.embedded?.stop();
    return stoppedBy ? 0 : 1;
  }
  await resumeTasks(runner, left.tasks);
  recordLeftovers(runner, leftovers, tmux.socket);
  const record = recordLocalAgent(runner, config, file, logger);
  say(
    `agent ${config.agentId} is up (provider ${config.provider}); attach: agent-relay-runner attach ${config.agentId}` +
      `${file ? `; log: ${file}` : ""}`,
  );
  if (!config.headless && process.stdin.isTTY && runner.adapter.terminalAttachSpec()) {
    void attachTerminal(runner, say);
  }
  const exit = await runner.done;
  await record.remove();
  // The provider is stopped: a server left on the agent's socket (a Codex attach session) and the socket file go too.
  await new Tmux(tmux.socket).killServer().catch(() => {});
  await leftovers.remove();
  if (exit.code !== 0) say(`stopped: ${exit.reason}`);
  await target.embedded?.stop();
  return exit.code;
}
