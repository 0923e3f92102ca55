// The `command` provider: any interactive terminal program in a tmux session, fed by paste + Enter.
//
// Lifecycle (one `state` field, a union carrying each phase's data):
//   stopped ──spawn──▶ starting ──ready──▶ running ──shutdown / program exits──▶ stopping ──▶ stopped
//                         └── deadline, exit or abort: session destroyed ──▶ stopped
// A stopped adapter can spawn again (restart). Every spawn ends with one `session.ended`, then its handle's `exited`.
import type { Logger } from "pino";
import { sleep } from "../../util/clock.ts";
import { errorMessage, isRunnerError, RunnerError } from "../../util/errors.ts";
import type {
  AdapterEvent,
  AdapterEventBody,
  AdapterEventListener,
  DeliveryItem,
  DeliveryResult,
  ProviderAdapter,
  ProviderExit,
  ShutdownOptions,
  SpawnContext,
  SpawnResult,
  TerminalAttachSpec,
} from "../adapter.ts";
import { ProviderEventHub } from "../adapter.ts";
import { type PaneExit, type PaneRef, Tmux } from "../tmux/index.ts";
import { formatDelivery, formatSystemNote } from "./format.ts";
import {
  type CommandAdapterInput,
  type CommandAdapterOptions,
  parseCommandAdapterOptions,
} from "./options.ts";
import { PaneMonitor } from "./pane-monitor.ts";
import { describeExit, exitFields, PaneSession } from "./pane-session.ts";
import { TurnTracker } from "./status.ts";

interface Live {
  providerSessionId: string;
  pane: PaneRef;
  tracker: TurnTracker;
  monitor: PaneMonitor;
  /** The spawn's handle: resolves once the program has ended and its session is gone. */
  exited: Promise<ProviderExit>;
  ended: (exit: ProviderExit) => void;
}

type Lifecycle =
  | { kind: "stopped" }
  /** `settled` resolves once the attempt has left `starting`, whichever way. */
  | { kind: "starting"; abort: AbortController; settled: Promise<void> }
  | { kind: "running"; live: Live }
  | { kind: "stopping"; live: Live };

export type CommandAdapterState = Lifecycle["kind"];

export class CommandAdapter implements ProviderAdapter {
  readonly name = "command" as const;
  readonly defaultTags: readonly string[] = [];
  readonly supportsUnexpectedExitRestart = true;

  private readonly o: CommandAdapterOptions;
  private readonly tmux: Tmux;
  private readonly session: PaneSession;
  private readonly log: Logger;
  private readonly hub = new ProviderEventHub();
  private lifecycle: Lifecycle = { kind: "stopped" };
  // Deliveries run one at a time per session: a paste must never interleave with another paste or its Enter.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(input: CommandAdapterInput) {
    this.o = parseCommandAdapterOptions(input);
    this.tmux = new Tmux(this.o.tmuxSocket, { wrap: this.o.wrapCommand });
    this.log = this.o.logger.child({ provider: "command", tmuxSession: this.o.tmuxSession });
    this.session = new PaneSession(this.tmux, this.o, this.log);
  }

  get state(): CommandAdapterState {
    return this.lifecycle.kind;
  }

  onEvent(listener: AdapterEventListener): () => void {
    return this.hub.on(listener);
  }

  async spawn(ctx: SpawnContext): Promise<SpawnResult> {
    // A restart may come while the previous program's session is still being cleaned up.
    if (this.lifecycle.kind === "stopping") await this.lifecycle.live.exited;
    if (this.lifecycle.kind !== "stopped") {
      throw new RunnerError("PROVIDER_SPAWN_FAILED", `cannot spawn: the command provider is ${this.state}`);
    }
    const abort = new AbortController();
    const attempt = this.start(ctx, AbortSignal.any([ctx.signal, abort.signal]));
    this.lifecycle = { kind: "starting", abort, settled: attempt.then(noop, noop) };
    return attempt;
  }

  deliver(items: DeliveryItem[], signal: AbortSignal): Promise<DeliveryResult> {
    return this.serial(async () => {
      await this.submit(formatDelivery(items), signal);
      return { state: "written" as const };
    });
  }

  deliverInitialPrompt(prompt: string, signal: AbortSignal): Promise<void> {
    return this.serial(() => this.submit(prompt, signal));
  }

  injectContext(content: string, signal: AbortSignal): Promise<void> {
    return this.serial(() => this.submit(formatSystemNote(content), signal));
  }

  /** Ctrl-C, as a person stops what the program is doing; outside the delivery chain, so it never waits behind one. */
  async interrupt(_signal: AbortSignal): Promise<void> {
    if (this.lifecycle.kind !== "running") return;
    const { live } = this.lifecycle;
    await this.tmux.sendKeys(live.pane.paneId, ["C-c"]);
    live.monitor.wake();
  }

  /**
   * Graceful: Ctrl-C, then Ctrl-D (EOF), each given half of `timeoutMs` to end the program; then, or when hard,
   * the session is killed and the program's process group escalated SIGTERM → SIGKILL until it is gone.
   */
  async shutdown(options: ShutdownOptions): Promise<void> {
    const now = this.lifecycle;
    if (now.kind === "starting") {
      now.abort.abort(new RunnerError("ABORTED", "shutdown during start-up"));
      await now.settled;
    } else if (now.kind === "stopping") {
      await now.live.exited;
    } else if (now.kind === "running") {
      await this.end(now.live, "shutdown", () => this.stop(now.live, options));
    }
  }

  terminalAttachSpec(): TerminalAttachSpec {
    const { tmuxSocket: socket, tmuxSession: session } = this.o;
    return {
      command: this.tmux.attachCommand(session),
      description: `tmux session "${session}" on the runner's private socket "${socket}" (detach with Ctrl-b d)`,
      tmux: { socket, session },
    };
  }

  runtimeMeta(): Record<string, unknown> {
    return { tmuxSession: this.o.tmuxSession, tmuxSocket: this.o.tmuxSocket };
  }

  private async start(ctx: SpawnContext, signal: AbortSignal): Promise<SpawnResult> {
    try {
      const pane = await this.session.start(ctx, signal);
      if (signal.aborted) {
        await this.session.destroy(pane);
        throw new RunnerError("ABORTED", "the command provider was stopped during start-up", {
          cause: signal.reason,
        });
      }
      const live = this.watch(pane, ctx.providerSessionId);
      this.lifecycle = { kind: "running", live };
      live.monitor.start();
      this.log.info({ pid: pane.pid }, "command provider ready");
      return { pid: pane.pid, exited: live.exited };
    } catch (e) {
      this.lifecycle = { kind: "stopped" };
      throw e;
    }
  }

  private watch(pane: PaneRef, providerSessionId: string): Live {
    const tracker = new TurnTracker(this.o);
    const exit = Promise.withResolvers<ProviderExit>();
    const live = { providerSessionId, pane, tracker, exited: exit.promise, ended: exit.resolve } as Live;
    live.monitor = new PaneMonitor({
      tmux: this.tmux,
      paneId: pane.paneId,
      tracker,
      clock: this.o.clock,
      logger: this.log,
      activePollMs: this.o.activePollMs,
      idlePollMs: this.o.idlePollMs,
      onTurn: (type) => this.emit(live, { type }),
      onExit: (exit) => this.onProgramExit(live, exit),
    });
    return live;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => {});
    return next;
  }

  private async submit(text: string, signal: AbortSignal): Promise<void> {
    if (this.lifecycle.kind !== "running") {
      throw new RunnerError("DELIVERY_FAILED", `the command provider is not running (${this.state})`);
    }
    const { live } = this.lifecycle;
    if (signal.aborted) throw new RunnerError("ABORTED", "delivery aborted", { cause: signal.reason });
    try {
      const before = await this.tmux.capturePane(live.pane.paneId);
      await this.tmux.pasteText(live.pane.paneId, text, { signal });
      // Once pasted, the text sits in the program's input: it is submitted even if the caller aborts now.
      await sleep(this.o.clock, this.o.enterDelayMs);
      await this.tmux.sendKeys(live.pane.paneId, ["Enter"]);
      live.tracker.delivered(before, this.o.clock.now());
      live.monitor.wake();
      this.log.debug({ chars: text.length }, "delivered to the command provider");
    } catch (e) {
      if (isRunnerError(e, "ABORTED")) throw e;
      throw new RunnerError(
        "DELIVERY_FAILED",
        `could not deliver to the command provider: ${errorMessage(e)}`,
        {
          cause: e,
        },
      );
    }
  }

  /** Ask the program to end (graceful), then destroy its session; resolves how it ended. */
  private async stop(live: Live, options: ShutdownOptions): Promise<ProviderExit> {
    let exit: PaneExit | undefined;
    try {
      await live.monitor.stop();
      live.tracker.reset();
      if (options.graceful) exit = await this.session.askToExit(live.pane, options.timeoutMs);
    } catch (e) {
      // Whatever went wrong while asking, the session is still destroyed below.
      this.log.warn({ err: errorMessage(e) }, "graceful stop of the command provider failed; killing it");
    }
    await this.session.destroy(live.pane);
    // Not ended by the exit keys: kill-session hung it up (and endProcess escalated if that was not enough).
    return exit ? exitFields(exit) : HUNG_UP;
  }

  private onProgramExit(live: Live, exit: PaneExit): void {
    if (this.lifecycle.kind !== "running" || this.lifecycle.live !== live) return;
    this.log.info({ how: describeExit(exit) }, "the command provider's program ended");
    const cleanup = async () => {
      live.tracker.reset();
      await this.session.destroy(live.pane);
      return exitFields(exit);
    };
    this.end(live, `program ended (${describeExit(exit)})`, cleanup).catch((e) => {
      this.log.warn({ err: errorMessage(e) }, "cleaning up after the command provider's program failed");
    });
  }

  /**
   * The one way a spawn ends: `cleanup` says how the program ended; then `session.ended` goes out, the adapter is
   * stopped, and the spawn's handle resolves (also when the clean-up failed, so nobody waits for it forever).
   */
  private async end(live: Live, reason: string, cleanup: () => Promise<ProviderExit>): Promise<void> {
    this.lifecycle = { kind: "stopping", live };
    let how = HUNG_UP;
    try {
      how = await cleanup();
      this.emit(live, { type: "session.ended", reason });
    } finally {
      this.lifecycle = { kind: "stopped" };
      live.ended(how);
    }
  }

  private emit(live: Live, event: AdapterEventBody): void {
    this.hub.emit({ ...event, providerSessionId: live.providerSessionId } as AdapterEvent);
  }
}

/** How a program ends when its tmux session is killed under it. */
const HUNG_UP: ProviderExit = { exitCode: null, signal: "SIGHUP" };

function noop(): void {}
