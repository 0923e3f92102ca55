// CodexAdapter: the runner's provider for OpenAI Codex, driving `codex app-server` over a loopback WebSocket.
import type { PermissionDecision } from "../../protocol/index.ts";
import { type Clock, systemClock } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import { type Logger, silentLogger } from "../../util/logger.ts";
import {
  type AdapterEvent,
  type AdapterEventBody,
  type AdapterEventListener,
  type DeliveryItem,
  type DeliveryResult,
  type ProviderAdapter,
  ProviderEventHub,
  type ShutdownOptions,
  type SpawnContext,
  type SpawnResult,
  type TerminalAttachSpec,
} from "../adapter.ts";
import { composeRelayInstructions } from "../relay-instructions.ts";
import { codexAttachSpec } from "./attach.ts";
import { codexCredentialProblem } from "./credentials.ts";
import { formatDeliveries, formatSystemNote } from "./format.ts";
import { prepareCodexHome } from "./home.ts";
import { injectDeveloperNote } from "./inject.ts";
import { launchAppServer } from "./launch.ts";
import { type AdapterState, type Live, liveSpawn } from "./lifecycle.ts";
import { codexRuntimeMeta } from "./meta.ts";
import type { CodexAdapterOptions } from "./options.ts";
import { type CodexAppServerProcess, type CodexBinary, resolveCodexBinary } from "./process.ts";
import { reapStaleCodex } from "./reap.ts";
import type { CodexRpc } from "./rpc.ts";
import { CodexSession } from "./session.ts";

export class CodexAdapter implements ProviderAdapter {
  readonly name = "codex" as const;
  readonly defaultTags = ["codex"] as const;
  readonly confirmsDelivery = true;
  readonly supportsUnexpectedExitRestart = true;
  readonly takesMidTurnWhileHolding = true;

  private state: AdapterState = { kind: "stopped" };
  private readonly hub = new ProviderEventHub();
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly binary: CodexBinary;
  /** The thread to resume on the next resume spawn: the option at first, then whatever thread ran last. */
  private lastThreadId: string | undefined;

  constructor(private readonly options: CodexAdapterOptions) {
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? systemClock;
    this.binary = options.binary ?? resolveCodexBinary();
    this.lastThreadId = options.resumeThreadId;
  }

  get threadId(): string | undefined {
    return this.live()?.session.threadId ?? this.lastThreadId;
  }

  get pid(): number | undefined {
    return this.live()?.proc.pid;
  }

  /** Whether a turn is running or about to (messages delivered now wait for it). */
  get isBusy(): boolean {
    return this.live()?.session.isBusy ?? false;
  }

  onEvent(listener: AdapterEventListener): () => void {
    return this.hub.on(listener);
  }

  async spawn(ctx: SpawnContext): Promise<SpawnResult> {
    if (this.state.kind !== "stopped")
      throw new RunnerError("PROVIDER_SPAWN_FAILED", `codex is already ${this.state.kind}`);
    // shutdown() during start-up aborts it, so a late-finishing start never leaves a server behind.
    const abort = new AbortController();
    const started = this.start(ctx, AbortSignal.any([ctx.signal, abort.signal]));
    this.state = { kind: "starting", abort, settled: started.then(noop, noop) };
    return started;
  }

  private async start(ctx: SpawnContext, signal: AbortSignal): Promise<SpawnResult> {
    const model = this.options.model ?? "gpt-5.5";
    const readyTimeoutMs = this.options.readyTimeoutMs ?? 20_000;
    let proc: CodexAppServerProcess | undefined;
    let rpc: CodexRpc | undefined;
    try {
      await reapStaleCodex(this.options.codexHome, this.logger, this.clock);
      await prepareCodexHome({
        homeDir: this.options.codexHome,
        cwd: ctx.cwd,
        model,
        effort: this.options.effort,
        approvalMode: this.options.approvalMode ?? "default",
        provider: this.options.modelProvider,
        authJsonFrom: this.options.authJsonFrom,
        skillsDir: this.options.skillsDir,
        profile: this.options.profile,
      });
      const env = { ...process.env, ...ctx.env };
      const authProblem = codexCredentialProblem(env, this.options.codexHome, this.options.modelProvider);
      const launched = await launchAppServer({
        binary: this.binary,
        codexHome: this.options.codexHome,
        cwd: ctx.cwd,
        env: ctx.env,
        readyTimeoutMs,
        requestTimeoutMs: this.options.requestTimeoutMs,
        logger: this.logger,
        clock: this.clock,
        signal,
      });
      proc = launched.proc;
      rpc = launched.rpc;
      const providerSessionId = ctx.providerSessionId;
      const emit = (e: AdapterEventBody) => this.hub.emit({ ...e, providerSessionId } as AdapterEvent);
      const settings = {
        cwd: ctx.cwd,
        model,
        effort: this.options.effort,
        developerInstructions: composeRelayInstructions(this.options.systemPromptAppend),
      };
      const session = new CodexSession(rpc, settings, emit, this.logger, this.clock);
      const opened = await session.openThread(ctx.resume ? this.lastThreadId : undefined);
      if (signal.aborted)
        throw new RunnerError("ABORTED", "codex start-up was aborted", { cause: signal.reason });
      this.lastThreadId = opened.threadId;
      const live = liveSpawn({ providerSessionId, proc, rpc, session, cwd: ctx.cwd });
      this.state = { kind: "running", live };
      this.watch(live);
      // Without credentials every turn would retry the model for minutes: report it, and the runner holds messages.
      if (authProblem) emit({ type: "needs-input", reason: authProblem });
      this.logger.info(
        { threadId: opened.threadId, resumed: opened.resumed, pid: proc.pid },
        "codex thread ready",
      );
      return { nativeSessionId: opened.threadId, pid: proc.pid, exited: live.exited };
    } catch (e) {
      this.state = { kind: "stopped" };
      await rpc?.close(500);
      await proc?.stop(2_000);
      if (signal.aborted) throw new RunnerError("ABORTED", "codex start-up was aborted", { cause: e });
      if (e instanceof RunnerError && (e.code === "PROVIDER_NOT_READY" || e.code === "PROVIDER_SPAWN_FAILED"))
        throw e;
      throw new RunnerError("PROVIDER_NOT_READY", `codex did not become ready: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Idle: one turn now. Busy: `midTurn` items steer the running turn, the rest wait for it to end; resolves once all went. */
  async deliver(items: DeliveryItem[], signal: AbortSignal): Promise<DeliveryResult> {
    const live = this.requireLive("deliver");
    if (items.length === 0) return { state: "written" };
    const ids = (of: DeliveryItem[]) => of.map((i) => i.message.id);
    const steer = live.session.isBusy ? items.filter((i) => i.midTurn) : [];
    const wait = items.filter((i) => !steer.includes(i));
    await Promise.all([
      steer.length > 0 && live.session.steerOrEnqueue(formatDeliveries(steer), ids(steer), signal),
      wait.length > 0 && live.session.enqueueTurn(formatDeliveries(wait), ids(wait), signal),
    ]);
    return { state: "written" };
  }

  async deliverInitialPrompt(prompt: string, signal: AbortSignal): Promise<void> {
    await this.requireLive("deliver the initial prompt").session.enqueueTurn(prompt, [], signal);
  }

  async injectContext(content: string, signal: AbortSignal): Promise<void> {
    await this.requireLive("inject context").session.enqueueTurn(formatSystemNote(content), [], signal);
  }

  /** After a compaction: the runner's note joins the thread's history as a developer message, without a turn. */
  async injectSystemNote(text: string, signal: AbortSignal): Promise<void> {
    const live = this.requireLive("inject a note");
    const threadId = live.session.threadId;
    if (threadId) await injectDeveloperNote(live.rpc, threadId, text, signal);
  }

  async compact(signal: AbortSignal): Promise<void> {
    await this.requireLive("compact").session.compact(signal);
  }

  async clearContext(signal: AbortSignal): Promise<void> {
    const live = this.requireLive("clear the context");
    const threadId = await live.session.clearContext(signal);
    this.lastThreadId = threadId;
    this.hub.emit({
      type: "session.changed",
      nativeSessionId: threadId,
      providerSessionId: live.providerSessionId,
    });
  }

  async respondToPermissionDecision(approvalId: string, decision: PermissionDecision): Promise<boolean> {
    return this.live()?.session.respond(approvalId, decision) ?? false;
  }

  terminalAttachSpec(): TerminalAttachSpec | undefined {
    const live = this.live();
    const threadId = live?.session.threadId;
    if (!live || !threadId) return undefined;
    return codexAttachSpec({
      codexBin: this.binary.path,
      codexHome: this.options.codexHome,
      cwd: live.cwd,
      threadId,
      url: live.proc.url,
      tmuxSocket: this.options.tmuxSocket ?? "agent-relay-codex",
      tmuxSession: `codex-${live.providerSessionId.slice(0, 8)}`,
    });
  }

  runtimeMeta(): Record<string, unknown> {
    const live = this.live();
    return codexRuntimeMeta(this.threadId, live?.proc.url, live?.session.usage);
  }

  async interrupt(signal: AbortSignal): Promise<void> {
    await this.live()?.session.interruptActiveTurn(10_000, signal);
  }

  /** Graceful: interrupt the running turn, close the socket, SIGTERM the server; hard: kill at once. Bounded by timeoutMs. */
  async shutdown(options: ShutdownOptions): Promise<void> {
    if (this.state.kind === "starting") {
      this.state.abort.abort(new RunnerError("ABORTED", "shut down during start-up"));
      await this.state.settled;
      return;
    }
    if (this.state.kind === "stopping") {
      await this.state.live.exited;
      return;
    }
    if (this.state.kind !== "running") return;
    const { live } = this.state;
    this.state = { kind: "stopping", live };
    const started = this.clock.now();
    const left = () => Math.max(0, options.timeoutMs - (this.clock.now() - started));
    try {
      if (options.graceful && live.session.isBusy && live.rpc.isOpen) {
        await live.session.interruptActiveTurn(Math.min(3_000, left())).catch((e) => {
          this.logger.warn({ err: e }, "codex turn did not stop on interrupt; stopping the server anyway");
        });
      }
      live.session.close("shutting down");
      await live.rpc.close(options.graceful ? Math.min(1_000, left()) : 0);
    } finally {
      await this.settle(live, live.proc.stop(options.graceful ? left() : 0));
    }
    await live.exited;
  }

  private watch(live: Live): void {
    live.rpc.onClose((reason) => {
      // The socket dropping while the server runs leaves it unusable; stop it so the exit path below reports it.
      if (this.state.kind === "running" && this.state.live === live) {
        this.logger.warn({ reason }, "codex app-server connection lost");
        void live.proc.stop(2_000);
      }
    });
    void live.proc.exited.then(async (exit) => {
      if (this.state.kind !== "running" || this.state.live !== live) return;
      this.state = { kind: "stopping", live };
      this.logger.warn(
        { ...exit, stderr: live.proc.recentStderr.slice(-500) },
        "codex app-server exited unexpectedly",
      );
      live.session.close("codex app-server exited");
      // Shells it started may outlive it; the spawn counts as ended once they are gone too.
      await this.settle(
        live,
        live.rpc.close(0).then(() => live.proc.stop(0)),
      );
    });
  }

  /** Whatever `cleanup` does (or throws), the adapter is stopped after it and the spawn's `exited` may resolve. */
  private async settle(live: Live, cleanup: Promise<unknown>): Promise<void> {
    try {
      await cleanup;
    } finally {
      if (this.state.kind === "stopping" && this.state.live === live) this.state = { kind: "stopped" };
      live.cleanedUp();
    }
  }

  private live(): Live | undefined {
    return this.state.kind === "running" ? this.state.live : undefined;
  }

  private requireLive(what: string): Live {
    const live = this.live();
    if (!live) throw new RunnerError("DELIVERY_FAILED", `cannot ${what}: codex is ${this.state.kind}`);
    return live;
  }
}

function noop(): void {}
