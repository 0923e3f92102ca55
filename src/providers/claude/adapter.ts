// The Claude Code provider: claude in a detached tmux session with the relay plugin, delivery by monitor or paste.
//
// Wiring (the runner's job): forward every control-server event to `handleControlEvent` — `hook.received`
// (raw hook payloads: readiness, delivery confirmation, native session id, busy state) and
// `monitor.connected/disconnected` (which delivery path is live) — and pass the control server's
// `publishDelivery` as `publishToMonitor`. Turn/subagent/compaction/failure events come from the control server's
// own hook translation; this adapter emits only what it alone knows: `needs-input` for a dialog on screen,
// `delivery.confirmed`, `turn.completed` when Claude went idle without a Stop hook (Esc), and `exited`.
import { join } from "node:path";
import type { ApprovalMode } from "../../config/schema.ts";
import type { ControlEvent } from "../../control/schemas.ts";
import { type Clock, sleep, systemClock } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import { type Logger, silentLogger } from "../../util/logger.ts";
import {
  type ControlPort,
  type DeliveryItem,
  type DeliveryResult,
  type ProviderAdapter,
  type ProviderEvent,
  ProviderEventHub,
  type ProviderEventListener,
  type ShutdownOptions,
  type SpawnContext,
  type SpawnResult,
  type TerminalAttachSpec,
} from "../adapter.ts";
import type { Tmux } from "../tmux/index.ts";
import { prepareClaudeConfigDir } from "./config-dir.ts";
import { DeliveryConfirmer } from "./confirm.ts";
import { contextWindowOf, lastContextUsage } from "./context-usage.ts";
import { claudeCredentialProblem } from "./credentials.ts";
import { watchPidExit } from "./exit-watch.ts";
import { formatDeliveriesForPaste, formatMonitorLine } from "./format.ts";
import { buildClaudeLaunch, launcherArgv } from "./launch.ts";
import { MonitorEventBudget } from "./monitor-budget.ts";
import { MONITOR_CONNECT_WAIT_MS, MonitorPresence } from "./monitor-presence.ts";
import { waitForClaudePrompt } from "./readiness.ts";
import { findTranscript, transcriptHasConversation } from "./session-file.ts";
import { ClaudeTerminal } from "./terminal.ts";

export interface ClaudeAdapterOptions {
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
  /** Whether hook payloads will arrive through `handleControlEvent` (default true); readiness then needs SessionStart. */
  hooksWired?: boolean;
  /** Hand one line to the monitor's delivery stream (ControlServer.publishDelivery); `accepted: false` = no monitor. */
  publishToMonitor?: (item: {
    messageId: number;
    line: string;
  }) => { accepted: boolean } | Promise<{ accepted: boolean }>;
  /** Extra environment for claude (e.g. ANTHROPIC_BASE_URL); the runner's own variables win. */
  env?: Record<string, string>;
  /** Extra claude arguments (what follows `--` on the runner's command line). */
  extraArgs?: readonly string[];
  /** Claude's session id from a previous runner run, resumed when the first spawn asks to resume. */
  resumeSessionId?: string;
  /** With the monitor armed, how long a spawn waits for it to connect before reporting ready (default 10 s). */
  monitorWaitMs?: number;
  /** Spawn fails (PROVIDER_NOT_READY) when Claude is not at its prompt by then (default 30 s). */
  readyTimeoutMs?: number;
  /** How long deliver() waits for the model to see a message before answering `written` (default 5 s). */
  confirmTimeoutMs?: number;
  /** How long deliver() waits for a dialog to close before failing so the runner retries (default 20 s). */
  dialogWaitMs?: number;
  clock?: Clock;
  logger?: Logger;
}

type Lifecycle = "new" | "starting" | "ready" | "stopping" | "exited";
type HookPayload = Extract<ControlEvent, { type: "hook.received" }>["payload"];

/** Claude's answer to /compact on a conversation too short to compact (2.1.330). */
const NOTHING_TO_COMPACT = /Not enough messages to compact/;

const DEFAULT_PLUGIN_DIR = join(import.meta.dir, "..", "..", "..", "plugins", "claude");

export class ClaudeAdapter implements ProviderAdapter {
  readonly name = "claude" as const;
  readonly defaultTags = ["claude-code"] as const;
  readonly confirmsDelivery = true;
  readonly supportsUnexpectedExitRestart = true;

  private readonly hub = new ProviderEventHub();
  private readonly clock: Clock;
  private readonly log: Logger;
  private state: Lifecycle = "new";
  private providerSessionId = "";
  /** Claude's own session id: kept across restarts for --resume, replaced by /clear. */
  private claudeSessionId: string | undefined;
  private terminal: ClaudeTerminal | undefined;
  private readonly confirmer: DeliveryConfirmer;
  private sessionStartSeen = false;
  private transcriptPath: string | undefined;
  private model: string | undefined;
  private lastUsedTokens: number | undefined;
  private readonly monitor: MonitorPresence;
  /** Cleanup after an exit, still under way: the next spawn waits for it (it kills the tmux session by name). */
  private cleanup: Promise<void> | undefined;
  /** Per hooks: a turn is running (UserPromptSubmit seen, no Stop/StopFailure yet). */
  private hookBusy = false;
  private permissionOpen = false;
  private deliveryChain: Promise<unknown> = Promise.resolve();
  private watchAbort: AbortController | undefined;
  private readonly sessionWaiters = new Set<(p: HookPayload) => void>();
  private readonly monitorBudget: MonitorEventBudget;

  private unbindControl: (() => void) | undefined;

  constructor(private o: ClaudeAdapterOptions) {
    this.clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger();
    this.monitorBudget = new MonitorEventBudget(this.clock);
    this.monitor = new MonitorPresence(this.clock);
    this.claudeSessionId = o.resumeSessionId;
    this.confirmer = new DeliveryConfirmer(this.clock, (messageId) =>
      this.emit({ type: "delivery.confirmed", messageId }),
    );
  }

  onEvent(listener: ProviderEventListener): () => void {
    return this.hub.on(listener);
  }

  /** Which path the next delivery takes. */
  get deliveryPath(): "monitor" | "paste" {
    return this.monitor.connected && this.o.publishToMonitor ? "monitor" : "paste";
  }

  /** The runner's control server: raw hook events in, monitor lines out (the wiring the file comment describes). */
  bindControl(control: ControlPort): void {
    this.unbindControl?.();
    this.o = { ...this.o, publishToMonitor: (item) => control.publishDelivery(item) };
    this.unbindControl = control.onControlEvent((e) => this.handleControlEvent(e));
  }

  /** Feed every control-server event here (see the file comment). */
  handleControlEvent(event: ControlEvent): void {
    if (event.type === "monitor.connected" || event.type === "monitor.disconnected") {
      this.monitor.set(event.monitors);
      return;
    }
    if (event.type !== "hook.received" || event.providerSessionId !== this.providerSessionId) return;
    this.handleHook(event.payload);
  }

  private handleHook(p: HookPayload): void {
    const raw = p as Record<string, unknown>;
    if (typeof raw.transcript_path === "string") {
      this.transcriptPath = raw.transcript_path;
      void this.confirmer.followTranscript(raw.transcript_path);
    }
    switch (p.hook_event_name) {
      case "SessionStart":
        // /clear starts a new Claude session: the runner saves it so a restart resumes the right one.
        if (this.claudeSessionId !== p.session_id)
          this.emit({ type: "session.changed", nativeSessionId: p.session_id });
        this.claudeSessionId = p.session_id;
        if (typeof raw.model === "string") this.model = raw.model;
        this.sessionStartSeen = true;
        break;
      case "UserPromptSubmit":
        this.hookBusy = true;
        if (p.prompt) this.confirmer.observeText(p.prompt);
        break;
      case "PreToolUse":
        this.hookBusy = true;
        break;
      case "PermissionRequest":
        this.permissionOpen = true;
        break;
      case "PostToolUse":
      case "PostToolUseFailure":
        this.permissionOpen = false;
        break;
      case "Stop":
      case "StopFailure":
        this.hookBusy = false;
        this.permissionOpen = false;
        break;
    }
    for (const w of this.sessionWaiters) w(p);
  }

  async spawn(ctx: SpawnContext): Promise<SpawnResult> {
    if (this.state === "starting" || this.state === "ready") {
      throw new RunnerError("PROVIDER_SPAWN_FAILED", "claude is already running for this adapter");
    }
    this.state = "starting";
    this.providerSessionId = ctx.providerSessionId;
    this.sessionStartSeen = false;
    this.hookBusy = false;
    this.permissionOpen = false;
    this.monitor.set(0);
    // Resume only what Claude can reopen; otherwise start a fresh conversation rather than fail the restart.
    // A restarted runner knows the session id but not yet its transcript: look it up in the config dir.
    if (ctx.resume && this.claudeSessionId && !this.transcriptPath) {
      this.transcriptPath = await findTranscript(this.o.configDir, this.claudeSessionId);
    }
    const resume =
      ctx.resume &&
      this.claudeSessionId !== undefined &&
      (await transcriptHasConversation(this.transcriptPath));
    if (ctx.resume && !resume) this.log.warn("no resumable Claude conversation; starting a new one");
    const claudeSessionId = resume ? (this.claudeSessionId as string) : ctx.providerSessionId;
    this.claudeSessionId = claudeSessionId;
    const armMonitor = this.o.armMonitor ?? true;
    try {
      const prepared = await prepareClaudeConfigDir({
        dir: this.o.configDir,
        trustedDirs: [ctx.cwd],
        apiKey: ctx.env.ANTHROPIC_API_KEY ?? process.env.ANTHROPIC_API_KEY,
        armMonitor,
        ...(this.o.userConfigDir !== undefined ? { userConfigDir: this.o.userConfigDir } : {}),
      });
      const launch = buildClaudeLaunch({
        claudeBin: this.o.claudeBin ?? "claude",
        pluginDir: this.o.pluginDir ?? DEFAULT_PLUGIN_DIR,
        configDir: prepared.dir,
        claudeSessionId,
        resume,
        approvalMode: this.o.approvalMode,
        model: this.o.model,
        systemPromptAppend: this.o.systemPromptAppend,
        armMonitor,
        env: { ...this.o.env, ...ctx.env },
        extraArgs: this.o.extraArgs ? [...this.o.extraArgs] : undefined,
        isRoot: process.getuid?.() === 0,
      });
      const authProblem = claudeCredentialProblem({ ...process.env, ...launch.env }, prepared.dir);
      await this.cleanup;
      await this.o.tmux.killSession(this.o.sessionName);
      const pane = await this.o.tmux.newSession({
        name: this.o.sessionName,
        cwd: ctx.cwd,
        env: launch.env,
        command: launcherArgv(launch),
        signal: ctx.signal,
      });
      this.terminal = new ClaudeTerminal(this.o.tmux, pane, prepared.sessionsDir, this.clock);
      this.log.info({ session: this.o.sessionName, pid: pane.pid, resume }, "claude started in tmux");
      await waitForClaudePrompt(
        {
          terminal: this.terminal,
          clock: this.clock,
          timeoutMs: this.o.readyTimeoutMs ?? 30_000,
          needHook: this.o.hooksWired ?? true,
          sessionStartSeen: () => this.sessionStartSeen,
          onDialog: (screen) =>
            this.emit(
              screen === undefined
                ? { type: "input.resolved" }
                : { type: "needs-input", reason: "unexpected dialog during start-up", screen },
            ),
        },
        ctx.signal,
      );
      // Ready means ready for the preferred path: the first message after it goes through the monitor.
      if (armMonitor && this.o.publishToMonitor)
        await this.monitor.awaitConnect(
          this.o.monitorWaitMs ?? MONITOR_CONNECT_WAIT_MS,
          ctx.signal,
          this.log,
        );
      this.state = "ready";
      this.watch();
      // Started anyway, so a person can log in inside the session; until then the runner holds deliveries.
      if (authProblem) this.emit({ type: "needs-input", reason: authProblem });
      return { nativeSessionId: claudeSessionId, pid: pane.pid };
    } catch (e) {
      this.state = "exited";
      await this.killEverything().catch(() => {});
      if (e instanceof RunnerError) throw e;
      throw new RunnerError("PROVIDER_SPAWN_FAILED", "claude did not start", { cause: e });
    }
  }

  /** Background watch: exit detection, and busy → idle without a Stop hook (Esc, declined permission). */
  private watch(): void {
    const abort = new AbortController();
    this.watchAbort = abort;
    const terminal = this.terminal as ClaudeTerminal;
    const providerSessionId = this.providerSessionId;
    // Death is noticed within ~50 ms (the relay shows not-ready at once); the slower tick below is the fallback.
    watchPidExit(terminal.pane.pid, this.clock, abort.signal, () => {
      void terminal
        .paneStatus()
        .catch(() => undefined)
        .then((s) => this.onExited(s?.state === "dead" ? s.exitCode : null, providerSessionId));
    });
    void (async () => {
      let idleSince: number | undefined;
      let ticks = 0;
      while (!abort.signal.aborted) {
        try {
          await sleep(this.clock, 500, abort.signal);
        } catch {
          return;
        }
        try {
          const status = await terminal.paneStatus().catch(() => undefined);
          if (status && status.state !== "running") {
            await this.onExited(status.state === "dead" ? status.exitCode : null, providerSessionId);
            return;
          }
          const activity = await terminal.activity();
          void this.confirmer.scanTranscript();
          if (ticks++ % 6 === 0) await terminal.rememberTree().catch(() => {});
          if (activity !== "busy" && ticks % 4 === 0) await this.reportContextUsage();
          if (this.hookBusy && activity === "idle") {
            idleSince ??= this.clock.now();
            // Give the Stop hook time to arrive first; only a turn that ended silently needs this.
            if (this.clock.now() - idleSince > 2_000) {
              this.hookBusy = false;
              this.emit({ type: "turn.completed" });
            }
          } else idleSince = undefined;
        } catch (e) {
          this.log.warn({ err: e }, "claude watcher tick failed");
        }
      }
    })();
  }

  /** Emit `context.usage` when the transcript's last recorded usage changed (Claude writes it after each turn). */
  private async reportContextUsage(): Promise<void> {
    if (!this.transcriptPath) return;
    const usage = await lastContextUsage(this.transcriptPath);
    if (!usage || usage.usedTokens === this.lastUsedTokens) return;
    this.lastUsedTokens = usage.usedTokens;
    const maxTokens = contextWindowOf(this.model);
    this.emit({ type: "context.usage", usedTokens: usage.usedTokens, ...(maxTokens ? { maxTokens } : {}) });
  }

  private async onExited(exitCode: number | null, providerSessionId: string): Promise<void> {
    if (this.state === "exited" || providerSessionId !== this.providerSessionId) return;
    const stopping = this.state === "stopping";
    this.state = "exited";
    this.log.info({ exitCode, stopping }, "claude exited");
    // Report the exit first (the runner shows the agent not ready at once); the next spawn waits for the cleanup.
    this.cleanup = this.killEverything().catch((e) =>
      this.log.warn({ err: e }, "cleanup after claude exit failed"),
    );
    this.emit({ type: "exited", exitCode, signal: exitCode === null ? "unknown" : null });
  }

  async deliver(items: DeliveryItem[], signal: AbortSignal): Promise<DeliveryResult> {
    const run = this.deliveryChain.then(() => this.deliverNow(items, signal));
    this.deliveryChain = run.catch(() => undefined);
    return run;
  }

  private async deliverNow(items: DeliveryItem[], signal: AbortSignal): Promise<DeliveryResult> {
    if (items.length === 0) return { state: "confirmed" };
    this.assertReady();
    const ids = items.map((i) => i.message.id);
    this.confirmer.expect(ids);
    const unsent = await this.tryMonitor(items);
    if (unsent.length > 0) {
      try {
        await this.paste(formatDeliveriesForPaste(unsent), signal);
      } catch (e) {
        // The Enter may have landed although we could not see it: a retry must never duplicate what the model got.
        if (await this.confirmer.waitFor(ids, 2_000, signal)) return { state: "confirmed" };
        throw e;
      }
    }
    const confirmed = await this.confirmer.waitFor(ids, this.o.confirmTimeoutMs ?? 5_000, signal);
    return { state: confirmed ? "confirmed" : "written" };
  }

  /** Monitor first; returns the items it could not take (all of them when no monitor is connected). */
  private async tryMonitor(items: DeliveryItem[]): Promise<DeliveryItem[]> {
    const publish = this.o.publishToMonitor;
    if (this.deliveryPath !== "monitor" || !publish) return items;
    // Claude drops monitor events beyond its rate limit; past it, paste (lines published together are one event).
    if (!this.monitorBudget.take()) return items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as DeliveryItem;
      try {
        const r = await publish({ messageId: item.message.id, line: formatMonitorLine(item) });
        if (!r.accepted) return items.slice(i);
      } catch (e) {
        this.log.info({ err: e }, "monitor delivery refused; pasting instead");
        return items.slice(i);
      }
    }
    return [];
  }

  /** Paste text and submit it, never while a dialog is open (an Enter there approves a tool). */
  private async paste(text: string, signal: AbortSignal): Promise<void> {
    const terminal = this.terminal as ClaudeTerminal;
    const checked = await terminal.waitForNoDialog(
      this.o.dialogWaitMs ?? 20_000,
      () => this.permissionOpen,
      signal,
    );
    await terminal.submit(text, () => this.permissionOpen, signal, checked);
  }

  private assertReady(): void {
    if (this.state !== "ready" || !this.terminal) {
      throw new RunnerError("DELIVERY_FAILED", `claude is not ready (state ${this.state})`);
    }
  }

  deliverInitialPrompt(prompt: string, signal: AbortSignal): Promise<void> {
    return this.serialised(() => this.paste(prompt, signal));
  }

  injectContext(content: string, signal: AbortSignal): Promise<void> {
    const note = `[system note from the agent-relay runner: context, not a message to answer]\n${content}`;
    return this.serialised(() => this.paste(note, signal));
  }

  /** `/compact`; done at PostCompact, or at once when Claude says there is nothing to compact (a no-op success). */
  compact(signal: AbortSignal): Promise<void> {
    return this.slashCommand(
      "/compact",
      (p) => p.hook_event_name === "PostCompact",
      120_000,
      signal,
      NOTHING_TO_COMPACT,
    );
  }

  clearContext(signal: AbortSignal): Promise<void> {
    return this.slashCommand(
      "/clear",
      (p) => p.hook_event_name === "SessionStart" && p.source === "clear",
      30_000,
      signal,
    );
  }

  /** Run a slash command at an idle prompt and wait for the hook that says it finished. */
  private slashCommand(
    command: string,
    done: (p: HookPayload) => boolean,
    timeoutMs: number,
    signal: AbortSignal,
    noOpScreen?: RegExp,
  ): Promise<void> {
    return this.serialised(async () => {
      this.assertReady();
      const terminal = this.terminal as ClaudeTerminal;
      const local = new AbortController();
      const both = AbortSignal.any([signal, local.signal]);
      const finished = this.waitForHook(done, timeoutMs, both);
      finished.catch(() => {});
      try {
        await terminal.waitForIdle(timeoutMs, () => this.permissionOpen, signal);
        const seenBefore = noOpScreen ? await terminal.countOnScreen(noOpScreen) : 0;
        await this.paste(command, signal);
        if (!noOpScreen) return await finished;
        const noOp = terminal
          .waitForScreen(noOpScreen, seenBefore, timeoutMs, both)
          .then(() => "no-op" as const);
        noOp.catch(() => {});
        if ((await Promise.race([finished.then(() => "done" as const), noOp])) === "no-op") {
          this.log.info({ command }, "claude had nothing to do for this command");
        }
      } finally {
        local.abort();
      }
    });
  }

  private waitForHook(
    match: (p: HookPayload) => boolean,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.sessionWaiters.delete(waiter);
        reject(new RunnerError("TIMEOUT", `no confirming hook within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (p: HookPayload) => {
        if (!match(p)) return;
        timer.cancel();
        this.sessionWaiters.delete(waiter);
        resolve();
      };
      this.sessionWaiters.add(waiter);
      signal.addEventListener("abort", () => {
        timer.cancel();
        this.sessionWaiters.delete(waiter);
        reject(new RunnerError("ABORTED", "aborted", { cause: signal.reason }));
      });
    });
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.deliveryChain.then(fn);
    this.deliveryChain = run.catch(() => undefined);
    return run;
  }

  /** Graceful: `/exit` at an idle prompt, wait for the process; then (or at once when hard) kill what is left. */
  async shutdown(options: ShutdownOptions): Promise<void> {
    if (this.state === "new") return;
    const terminal = this.terminal;
    if (this.state === "ready" && options.graceful && terminal) {
      this.state = "stopping";
      try {
        const signal = AbortSignal.timeout(options.timeoutMs);
        await terminal.waitForNoDialog(Math.min(options.timeoutMs, 2_000), () => this.permissionOpen, signal);
        await terminal.submit("/exit", () => this.permissionOpen, signal);
        await terminal.waitForExit(options.timeoutMs, signal);
      } catch (e) {
        this.log.info({ err: e }, "graceful claude exit did not finish; killing");
      }
    }
    this.state = this.state === "exited" ? "exited" : "stopping";
    this.watchAbort?.abort();
    await this.killEverything();
    if (this.state !== "exited") {
      this.state = "exited";
      this.emit({ type: "exited", exitCode: null, signal: "SIGTERM" });
    }
  }

  /** Kill the tmux session and every process claude left behind (monitor, hooks). */
  private async killEverything(): Promise<void> {
    this.watchAbort?.abort();
    await this.terminal?.destroy(this.o.sessionName);
  }

  terminalAttachSpec(): TerminalAttachSpec | undefined {
    if (!this.terminal) return undefined;
    return {
      command: this.o.tmux.attachCommand(this.o.sessionName),
      description: `Claude Code in tmux session ${this.o.sessionName} (detach with Ctrl-b d)`,
      tmux: { socket: this.o.tmux.socket, session: this.o.sessionName },
    };
  }

  runtimeMeta(): Record<string, unknown> {
    return {
      tmuxSession: this.o.sessionName,
      tmuxSocket: this.o.tmux.socket,
      claudeSessionId: this.claudeSessionId,
      deliveryPath: this.deliveryPath,
      monitorConnected: this.monitor.connected,
      contextUsedTokens: this.lastUsedTokens,
      lifecycle: this.state,
    };
  }

  private emit(event: { type: ProviderEvent["type"] } & Record<string, unknown>): void {
    this.hub.emit({ ...event, providerSessionId: this.providerSessionId } as ProviderEvent);
  }
}
