// Starting claude: config dir, launch command, the tmux session, then the ready gate (prompt + SessionStart + monitor).
import { join } from "node:path";
import type { ApprovalMode } from "../../config/schema.ts";
import { type Clock, sleep } from "../../util/clock.ts";
import { errorMessage, RunnerError } from "../../util/errors.ts";
import type { Logger } from "../../util/logger.ts";
import { PACKAGE_ROOT } from "../../util/package-root.ts";
import type { AdapterEventBody, SpawnContext } from "../adapter.ts";
import type { Tmux } from "../tmux/index.ts";
import { prepareClaudeConfigDir } from "./config-dir.ts";
import { claudeCredentialProblem } from "./credentials.ts";
import type { Conversation } from "./hooks.ts";
import { InboxLink } from "./inbox.ts";
import { inboxSocketCandidates, prepareInboxSocket, removeInboxSocket } from "./inbox-path.ts";
import { buildClaudeLaunch, launcherArgv } from "./launch.ts";
import { MONITOR_CONNECT_WAIT_MS, type MonitorPresence } from "./monitor-presence.ts";
import { waitForClaudePrompt } from "./readiness.ts";
import { findTranscript, transcriptHasConversation } from "./session-file.ts";
import { ClaudeTerminal } from "./terminal.ts";

const DEFAULT_PLUGIN_DIR = join(PACKAGE_ROOT, "plugins", "claude");
/** Claude binds its inbox during start-up, before its prompt shows; this covers a slow machine. */
const INBOX_BIND_WAIT_MS = 1_000;

/** The adapter options a launch reads. */
export interface LaunchOptions {
  /** The runner's private tmux server. */
  tmux: Tmux;
  /** tmux session name for this agent. */
  sessionName: string;
  /** The agent's private CLAUDE_CONFIG_DIR (prepared on every spawn). */
  configDir: string;
  /** The relay plugin folder (default: plugins/claude of this repo). */
  pluginDir?: string;
  /** The claude executable (default: `claude` on PATH). */
  claudeBin?: string;
  approvalMode: ApprovalMode;
  model?: string;
  systemPromptAppend?: string;
  /** The user's own Claude config dir whose login is linked in (default ~/.claude); null: never link a login. */
  userConfigDir?: string | null;
  /** Leave telemetry on so the relay monitor can run (default true); the auto-updater is always off. */
  armMonitor?: boolean;
  /** Ask Claude to bind its cross-session inbox on a private socket and deliver through it (default true). */
  inbox?: boolean;
  /** Extra environment for claude (e.g. ANTHROPIC_BASE_URL); the runner's own variables win. */
  env?: Record<string, string>;
  /** Extra claude arguments (what follows `--` on the runner's command line). */
  extraArgs?: readonly string[];
}

export interface Launched {
  terminal: ClaudeTerminal;
  /** The inbox Claude was asked to bind (whether it did is checked once it is up). */
  inbox: InboxLink | undefined;
  /** Why Claude cannot log in, if it cannot: reported once it is up, so a person can log in inside the session. */
  authProblem: string | undefined;
}

/**
 * Resume only what Claude can reopen; otherwise start a fresh conversation rather than fail the restart.
 * A restarted runner knows the session id but not yet its transcript: look it up in the config dir.
 */
export async function resumableSession(
  conv: Conversation,
  ctx: SpawnContext,
  configDir: string,
  log: Logger,
): Promise<string | undefined> {
  if (!ctx.resume || conv.claudeSessionId === undefined) {
    if (ctx.resume) log.warn("no resumable Claude conversation; starting a new one");
    return undefined;
  }
  conv.transcriptPath ??= await findTranscript(configDir, conv.claudeSessionId);
  if (await transcriptHasConversation(conv.transcriptPath)) return conv.claudeSessionId;
  log.warn("no resumable Claude conversation; starting a new one");
  return undefined;
}

/** Start claude in a fresh tmux session (any old one of this name is killed first). */
export async function launchClaude(
  o: LaunchOptions,
  ctx: SpawnContext,
  session: { claudeSessionId: string; resume: boolean },
  clock: Clock,
  log: Logger,
): Promise<Launched> {
  const prepared = await prepareClaudeConfigDir({
    dir: o.configDir,
    trustedDirs: [ctx.cwd],
    apiKey: ctx.env.ANTHROPIC_API_KEY ?? process.env.ANTHROPIC_API_KEY,
    armMonitor: o.armMonitor ?? true,
    ...(o.userConfigDir !== undefined ? { userConfigDir: o.userConfigDir } : {}),
  });
  const env = { ...process.env, ...o.env, ...ctx.env };
  const inboxPath = (o.inbox ?? true) ? await privateInboxSocket(prepared.dir, env, log) : undefined;
  const launch = buildClaudeLaunch({
    claudeBin: o.claudeBin ?? "claude",
    pluginDir: o.pluginDir ?? DEFAULT_PLUGIN_DIR,
    configDir: prepared.dir,
    secureStorageDir: prepared.secureStorageDir,
    claudeSessionId: session.claudeSessionId,
    resume: session.resume,
    approvalMode: o.approvalMode,
    model: o.model,
    systemPromptAppend: o.systemPromptAppend,
    armMonitor: o.armMonitor ?? true,
    env: { ...o.env, ...ctx.env },
    extraArgs: o.extraArgs ? [...o.extraArgs] : undefined,
    isRoot: process.getuid?.() === 0,
    ...(inboxPath ? { inboxSocketPath: inboxPath } : {}),
  });
  const authProblem = claudeCredentialProblem({ ...process.env, ...launch.env }, prepared.dir);
  await o.tmux.killSession(o.sessionName);
  const pane = await o.tmux.newSession({
    name: o.sessionName,
    cwd: ctx.cwd,
    env: launch.env,
    command: launcherArgv(launch),
    signal: ctx.signal,
  });
  log.info({ session: o.sessionName, pid: pane.pid, resume: session.resume }, "claude started in tmux");
  const terminal = new ClaudeTerminal(o.tmux, pane, prepared.sessionsDir, clock);
  const inbox = inboxPath ? new InboxLink(inboxPath, () => terminal.sessionFile()) : undefined;
  return { terminal, inbox, authProblem };
}

/** The spawn's inbox socket in its private folder, or none (logged: delivery then takes the monitor or a paste). */
async function privateInboxSocket(
  configDir: string,
  env: Record<string, string | undefined>,
  log: Logger,
): Promise<string | undefined> {
  try {
    return await prepareInboxSocket(inboxSocketCandidates(configDir, env));
  } catch (e) {
    log.warn({ err: errorMessage(e) }, "Claude's inbox is not used");
    return undefined;
  }
}

/** Whether Claude bound its inbox, given a moment after the prompt showed; the path taken is logged. */
async function awaitInbox(
  inbox: InboxLink | undefined,
  clock: Clock,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  if (!inbox) return;
  const deadline = clock.now() + INBOX_BIND_WAIT_MS;
  while (!(await inbox.check()) && clock.now() < deadline) await sleep(clock, 50, signal);
  if (inbox.isBound) log.info({ socket: inbox.path }, "Claude's inbox is bound: messages go through it");
  else
    log.warn(
      { socket: inbox.path },
      "Claude did not bind its inbox (gate off?); the monitor or a paste is used",
    );
}

export interface ReadyGate {
  terminal: ClaudeTerminal;
  clock: Clock;
  readyTimeoutMs: number;
  /** Hooks are wired: readiness also needs the SessionStart hook. */
  needHook: boolean;
  sessionStarted: () => boolean;
  /** Wait for the armed monitor (null: it is not armed or nothing publishes to it). */
  monitor: { presence: MonitorPresence; waitMs?: number } | null;
  emit: (e: AdapterEventBody) => void;
  log: Logger;
}

/** Resolves once Claude is ready for the preferred path: at its prompt, and the monitor connected (bounded wait). */
export async function awaitReady(g: ReadyGate, signal: AbortSignal): Promise<void> {
  await waitForClaudePrompt(
    {
      terminal: g.terminal,
      clock: g.clock,
      timeoutMs: g.readyTimeoutMs,
      needHook: g.needHook,
      sessionStartSeen: g.sessionStarted,
      onDialog: (screen) =>
        g.emit(
          screen === undefined
            ? { type: "input.resolved" }
            : { type: "needs-input", reason: "unexpected dialog during start-up", screen },
        ),
    },
    signal,
  );
  // Ready means ready for the preferred path: the first message after it goes through the monitor.
  if (g.monitor)
    await g.monitor.presence.awaitConnect(g.monitor.waitMs ?? MONITOR_CONNECT_WAIT_MS, signal, g.log);
}

export interface StartDeps {
  options: LaunchOptions & { readyTimeoutMs?: number; hooksWired?: boolean; monitorWaitMs?: number };
  /** The conversation to resume; its `claudeSessionId` is set to the one this spawn uses. */
  conversation: Conversation;
  clock: Clock;
  log: Logger;
  /** Wait for the armed monitor (null: nothing publishes to it). */
  monitor: MonitorPresence | null;
  sessionStarted: () => boolean;
  emit: (e: AdapterEventBody) => void;
}

export interface Started extends Launched {
  claudeSessionId: string;
}

/** Launch claude and pass the ready gate; on any failure nothing of it is left (PROVIDER_SPAWN_FAILED/NOT_READY). */
export async function startClaude(d: StartDeps, ctx: SpawnContext): Promise<Started> {
  const o = d.options;
  let terminal: ClaudeTerminal | undefined;
  let inbox: InboxLink | undefined;
  try {
    const resumeId = await resumableSession(d.conversation, ctx, o.configDir, d.log);
    const claudeSessionId = resumeId ?? ctx.providerSessionId;
    d.conversation.claudeSessionId = claudeSessionId;
    const session = { claudeSessionId, resume: resumeId !== undefined };
    const launched = await launchClaude(o, ctx, session, d.clock, d.log);
    terminal = launched.terminal;
    inbox = launched.inbox;
    const armed = (o.armMonitor ?? true) ? d.monitor : null;
    await awaitReady(
      {
        terminal,
        clock: d.clock,
        readyTimeoutMs: o.readyTimeoutMs ?? 30_000,
        needHook: o.hooksWired ?? true,
        sessionStarted: d.sessionStarted,
        monitor: armed ? { presence: armed, waitMs: o.monitorWaitMs } : null,
        emit: d.emit,
        log: d.log,
      },
      ctx.signal,
    );
    await awaitInbox(launched.inbox, d.clock, ctx.signal, d.log);
    // The monitor wait ends quietly on abort: a shutdown during start-up must still fail the spawn.
    if (ctx.signal.aborted) throw new RunnerError("ABORTED", "spawn aborted", { cause: ctx.signal.reason });
    return { ...launched, claudeSessionId };
  } catch (e) {
    const left = terminal ? terminal.destroy(o.sessionName) : o.tmux.killSession(o.sessionName);
    await left.catch(() => {});
    if (inbox) await removeInboxSocket(inbox.path).catch(() => {});
    if (e instanceof RunnerError) throw e;
    throw new RunnerError("PROVIDER_SPAWN_FAILED", "claude did not start", { cause: e });
  }
}
