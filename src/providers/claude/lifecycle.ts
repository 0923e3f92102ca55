// The Claude adapter's lifecycle as one tagged union, and the machine that moves it: spawn, hooks, exit, shutdown.
import type { ClaudeHookPayload } from "../../control/schemas.ts";
import { type Clock, sleep } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import type { Logger } from "../../util/logger.ts";
import type { AdapterEvent, AdapterEventBody, ProviderExit, SpawnContext, SpawnResult } from "../adapter.ts";
import type { DeliveryConfirmer } from "./confirm.ts";
import type { DeliveryTarget } from "./deliver.ts";
import { applyHook, type Conversation, type HookWaiters, type TurnState } from "./hooks.ts";
import type { InboxLink } from "./inbox.ts";
import { removeInboxSocket } from "./inbox-path.ts";
import type { MonitorPresence } from "./monitor-presence.ts";
import type { ClaudeAdapterOptions } from "./options.ts";
import { exitGracefully } from "./slash.ts";
import { startClaude } from "./spawn.ts";
import type { ClaudeTerminal } from "./terminal.ts";
import { startLive } from "./watcher.ts";

const TURN_END_POLL_MS = 50;

/** A running spawn: its pane, what its hooks say, and the promise that resolves when it is gone. */
export interface Live {
  providerSessionId: string;
  terminal: ClaudeTerminal;
  /** Claude's cross-session inbox for this spawn, when it was asked for one. */
  inbox: InboxLink | undefined;
  turn: TurnState;
  /** End this spawn once (kill what is left) and resolve `exited`; later calls get the same promise. */
  end(exit: ProviderExit): Promise<ProviderExit>;
  exited: Promise<ProviderExit>;
}

/** A spawn under way: hooks already arrive (SessionStart opens the ready gate). */
export interface Starting {
  kind: "starting";
  providerSessionId: string;
  turn: TurnState;
  /** Aborts the start-up (shutdown during a spawn). */
  abort: AbortController;
  /** Resolves when spawn() has settled either way. */
  settled: Promise<void>;
}

/** stopped → starting → ready → stopping → stopped; an exit from outside goes straight from ready to stopped. */
export type ClaudeLifecycle =
  | { kind: "stopped" }
  | Starting
  | { kind: "ready"; live: Live }
  | { kind: "stopping"; live: Live };

/** The hook-driven parts of whichever variant has them (hooks arrive while starting, ready and stopping). */
export function spawnOf(s: ClaudeLifecycle): { providerSessionId: string; turn: TurnState } | undefined {
  if (s.kind === "starting") return s;
  if (s.kind === "ready" || s.kind === "stopping") return s.live;
  return undefined;
}

export interface MachineDeps {
  options: () => ClaudeAdapterOptions;
  clock: Clock;
  log: Logger;
  confirmer: DeliveryConfirmer;
  monitor: MonitorPresence;
  hooks: HookWaiters;
  emit: (event: AdapterEvent) => void;
}

/** Owns the lifecycle and the conversation that outlives a spawn; stamps every event with its spawn's id. */
export class ClaudeMachine {
  state: ClaudeLifecycle = { kind: "stopped" };
  conversation: Conversation;
  contextUsedTokens: number | undefined;
  /** The last spawn's end: the next spawn waits for it (its cleanup kills the tmux session by name). */
  private lastExited: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: MachineDeps) {
    const resumeId = d.options().resumeSessionId;
    this.conversation = resumeId ? { claudeSessionId: resumeId } : {};
  }

  /** A hook of the current spawn, through the one reducer; other spawns' hooks are ignored. */
  onHook(providerSessionId: string, payload: ClaudeHookPayload): void {
    const spawn = spawnOf(this.state);
    if (providerSessionId !== spawn?.providerSessionId) return;
    // A prompt submitted while a turn runs was spliced into it (an inbox message between tool calls).
    const midTurn = spawn.turn === "busy" || spawn.turn === "asking";
    const r = applyHook({ conversation: this.conversation, turn: spawn.turn }, payload);
    this.conversation = r.state.conversation;
    spawn.turn = r.state.turn;
    const transcript = this.conversation.transcriptPath;
    if (transcript) void this.d.confirmer.followTranscript(transcript);
    for (const e of r.events) this.emit(e);
    if (r.seen !== undefined) this.d.confirmer.observeText(r.seen, midTurn);
    this.d.hooks.notify(payload);
  }

  async spawn(ctx: SpawnContext): Promise<SpawnResult> {
    if (this.state.kind !== "stopped") {
      throw new RunnerError("PROVIDER_SPAWN_FAILED", `claude is already ${this.state.kind} for this adapter`);
    }
    const abort = new AbortController();
    let settle = () => {};
    const settled = new Promise<void>((r) => {
      settle = r;
    });
    const { providerSessionId } = ctx;
    const starting: Starting = { kind: "starting", providerSessionId, turn: "launching", abort, settled };
    this.state = starting;
    this.d.monitor.set(0);
    const { clock, log } = this.d;
    const o = this.d.options();
    try {
      await this.lastExited;
      const emit = (e: AdapterEventBody) => this.emit(e);
      const started = await startClaude(
        {
          options: o,
          conversation: this.conversation,
          clock,
          log,
          monitor: o.publishToMonitor ? this.d.monitor : null,
          sessionStarted: () => starting.turn !== "launching",
          emit,
        },
        { ...ctx, signal: AbortSignal.any([ctx.signal, abort.signal]) },
      );
      const live = startLive(starting, started.terminal, started.inbox, {
        clock,
        confirmer: this.d.confirmer,
        log,
        conversation: () => this.conversation,
        emit,
        destroy: async () => {
          await started.terminal.destroy(o.sessionName);
          if (started.inbox) await removeInboxSocket(started.inbox.path);
        },
        onExit: (exited, exit) => {
          log.info({ ...exit, stopping: this.state.kind === "stopping" }, "claude exited");
          if (spawnOf(this.state) === exited) this.state = { kind: "stopped" };
        },
        onContextUsage: (usedTokens) => {
          this.contextUsedTokens = usedTokens;
        },
      });
      this.state = { kind: "ready", live };
      this.lastExited = live.exited;
      // Started anyway, so a person can log in inside the session; until then the runner holds deliveries.
      if (started.authProblem) this.emit({ type: "needs-input", reason: started.authProblem });
      return {
        nativeSessionId: started.claudeSessionId,
        pid: started.terminal.pane.pid,
        exited: live.exited,
      };
    } catch (e) {
      this.state = { kind: "stopped" };
      throw e;
    } finally {
      settle();
    }
  }

  /** Graceful: `/exit` at an idle prompt and wait; then (or at once when hard) kill what is left; then `exited`. */
  async shutdown(graceful: boolean, timeoutMs: number): Promise<void> {
    const s = this.state;
    if (s.kind === "starting") {
      s.abort.abort(new RunnerError("ABORTED", "shut down during start-up"));
      await s.settled;
      return;
    }
    if (s.kind === "stopped") {
      await this.lastExited;
      return;
    }
    const live = s.live;
    if (s.kind === "ready") {
      this.state = { kind: "stopping", live };
      if (graceful) await exitGracefully(this.targetOf(live), timeoutMs, this.d.clock, this.d.log);
    }
    await live.end({ exitCode: null, signal: "SIGTERM" });
    if (spawnOf(this.state) === live) this.state = { kind: "stopped" };
  }

  /**
   * Resolves once no turn runs (per hooks; an Esc-ended turn per Claude's session state), at once when none does.
   * A message that must not go into a running turn waits here, outside the pane's one-at-a-time chain.
   */
  async waitForTurnEnd(signal: AbortSignal): Promise<void> {
    while (this.inTurn) await sleep(this.d.clock, TURN_END_POLL_MS, signal);
  }

  /** A turn of the ready spawn runs (per hooks). */
  get inTurn(): boolean {
    const s = this.state;
    return s.kind === "ready" && (s.live.turn === "busy" || s.live.turn === "asking");
  }

  /** The ready spawn's pane and inbox, or DELIVERY_FAILED (the runner retries later). */
  target(): DeliveryTarget {
    const s = this.state;
    if (s.kind !== "ready") throw new RunnerError("DELIVERY_FAILED", `claude is not ready (state ${s.kind})`);
    return this.targetOf(s.live);
  }

  private targetOf(live: Live): DeliveryTarget {
    return { terminal: live.terminal, inbox: live.inbox, asking: () => live.turn === "asking" };
  }

  /** Stamp an event with the current spawn's session id; with no spawn there is no one to tell. */
  emit(body: AdapterEventBody): void {
    const spawn = spawnOf(this.state);
    if (spawn) this.d.emit({ ...body, providerSessionId: spawn.providerSessionId });
  }
}
