// The `command` provider: any interactive terminal program in a tmux session, fed by paste + Enter.
//
// Lifecycle (one `state` field):
//   stopped ──spawn──▶ starting ──ready──▶ running ──shutdown / program exits──▶ stopping ──▶ stopped
//                         └── deadline, exit or abort: session destroyed ──▶ stopped
// A stopped adapter can spawn again (restart). Every spawn ends with exactly one `session.ended` + `exited` pair.
import type { Logger } from "pino";
import { sleep } from "../../util/clock.ts";
import { errorMessage, isRunnerError, RunnerError } from "../../util/errors.ts";
import type {
  DeliveryItem,
  DeliveryResult,
  ProviderAdapter,
  ProviderEvent,
  ProviderEventListener,
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

export type CommandAdapterState = "stopped" | "starting" | "running" | "stopping";

type EventBody = ProviderEvent extends infer E
  ? E extends unknown
    ? Omit<E, "providerSessionId">
    : never
  : never;

interface Live {
  providerSessionId: string;
  pane: PaneRef;
  tracker: TurnTracker;
  monitor: PaneMonitor;
  /** Set once session.ended + exited went out for this spawn. */
  ended: boolean;
}

export class CommandAdapter implements ProviderAdapter {
  readonly name = "command" as const;
  readonly defaultTags: readonly string[] = [];
  readonly supportsUnexpectedExitRestart = true;

  private readonly o: CommandAdapterOptions;
  private readonly tmux: Tmux;
  private readonly session: PaneSession;
  private readonly log: Logger;
  private readonly hub = new ProviderEventHub();
  private _state: CommandAdapterState = "stopped";
  private live: Live | undefined;
  private startAbort: AbortController | undefined;
  private starting: Promise<unknown> | undefined;
  private stopping: Promise<void> | undefined;
  // Deliveries run one at a time per session: a paste must never interleave with another paste or its Enter.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(input: CommandAdapterInput) {
    this.o = parseCommandAdapterOptions(input);
    this.tmux = new Tmux(this.o.tmuxSocket, { wrap: this.o.wrapCommand });
    this.log = this.o.logger.child({ provider: "command", tmuxSession: this.o.tmuxSession });
    this.session = new PaneSession(this.tmux, this.o, this.log);
  }

  get state(): CommandAdapterState {
    return this._state;
  }

  onEvent(listener: ProviderEventListener): () => void {
    return this.hub.on(listener);
  }

  async spawn(ctx: SpawnContext): Promise<SpawnResult> {
    // A restart may come while the previous program's session is still being cleaned up.
    if (this._state === "stopping") await this.stopping;
    if (this._state !== "stopped") {
      throw new RunnerError("PROVIDER_SPAWN_FAILED", `cannot spawn: the command provider is ${this._state}`);
    }
    this._state = "starting";
    const abort = new AbortController();
    this.startAbort = abort;
    const attempt = this.start(ctx, AbortSignal.any([ctx.signal, abort.signal]));
    // shutdown() waits on this: it settles only after the attempt has left the `starting` state.
    this.starting = attempt.then(
      () => {},
      () => {},
    );
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

  /**
   * Graceful: Ctrl-C, then Ctrl-D (EOF), each given half of `timeoutMs` to end the program; then, or when hard,
   * the session is killed and the program's process group escalated SIGTERM → SIGKILL until it is gone.
   */
  async shutdown(options: ShutdownOptions): Promise<void> {
    if (this._state === "starting") {
      this.startAbort?.abort(new RunnerError("ABORTED", "shutdown during start-up"));
      await this.starting;
      return;
    }
    if (this._state === "stopping") return this.stopping;
    const live = this.live;
    if (this._state !== "running" || !live) return;
    this._state = "stopping";
    this.stopping = this.stop(live, options).finally(() => this.settleStopped(live));
    return this.stopping;
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
      this.live = live;
      this._state = "running";
      live.monitor.start();
      this.log.info({ pid: pane.pid }, "command provider ready");
      return { pid: pane.pid };
    } catch (e) {
      this._state = "stopped";
      throw e;
    } finally {
      this.startAbort = undefined;
    }
  }

  private watch(pane: PaneRef, providerSessionId: string): Live {
    const tracker = new TurnTracker(this.o);
    const live: Live = { providerSessionId, pane, tracker, ended: false } as Live;
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
    const live = this.live;
    if (this._state !== "running" || !live) {
      throw new RunnerError("DELIVERY_FAILED", `the command provider is not running (${this._state})`);
    }
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

  private async stop(live: Live, options: ShutdownOptions): Promise<void> {
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
    const ended = exit ? exitFields(exit) : { exitCode: null, signal: "SIGHUP" };
    this.emitEnded(live, "shutdown", ended);
  }

  private onProgramExit(live: Live, exit: PaneExit): void {
    if (this.live !== live || this._state !== "running") return;
    this.log.info({ how: describeExit(exit) }, "the command provider's program ended");
    this._state = "stopping";
    this.stopping = (async () => {
      live.tracker.reset();
      await this.session.destroy(live.pane);
      this.emitEnded(live, `program ended (${describeExit(exit)})`, exitFields(exit));
    })().finally(() => this.settleStopped(live));
  }

  private settleStopped(live: Live): void {
    if (this.live === live) this.live = undefined;
    this._state = "stopped";
    this.stopping = undefined;
  }

  private emitEnded(
    live: Live,
    reason: string,
    how: { exitCode: number | null; signal: string | null },
  ): void {
    if (live.ended) return;
    live.ended = true;
    this.emit(live, { type: "session.ended", reason });
    this.emit(live, { type: "exited", ...how });
  }

  private emit(live: Live, event: EventBody): void {
    this.hub.emit({ ...event, providerSessionId: live.providerSessionId } as ProviderEvent);
  }
}
