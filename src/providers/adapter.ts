// The contract between the runner and a provider (Claude Code, Codex, any terminal CLI).
import type { ProviderName } from "../config/schema.ts";
import type { ControlEvent } from "../control/schemas.ts";
import type { Message, PermissionDecision } from "../protocol/index.ts";
import { type ListenerErrorSink, TypedEmitter } from "../util/emitter.ts";

export type { ProviderName };

/** One thing to hand to the provider. Messages carry their relay id so delivery can be confirmed. */
export interface DeliveryItem {
  message: Message;
  /** Local paths of the message's attachments, in the order of `message.attachments`. */
  attachmentPaths: string[];
  /**
   * Set by the runner: the message may go into a running turn (it is urgent, and not linked to a task other than
   * the one the agent works on). Adapters read this, never `message.urgent`; without it a busy agent gets the
   * message when its turn ends.
   */
  midTurn?: boolean;
}

/**
 * How far a delivery got. `written`: the text is in the provider's input; `confirmed`: the provider
 * showed it reached the model. Adapters that cannot confirm return `written`.
 */
export type DeliveryOutcome = "written" | "confirmed";

export interface DeliveryResult {
  state: DeliveryOutcome;
}

export interface SpawnContext {
  /** A fresh UUID for this spawn; every event of this spawn carries it. */
  providerSessionId: string;
  /** Environment the provider's child process (and its hooks) get on top of the runner's own. */
  env: Record<string, string>;
  cwd: string;
  /** True when this spawn replaces one that exited or was restarted: resume its conversation if possible. */
  resume: boolean;
  signal: AbortSignal;
}

/** How a spawned provider ended. */
export interface ProviderExit {
  exitCode: number | null;
  signal: string | null;
}

/** A live spawn: what the adapter hands back once the provider is ready for input. */
export interface SpawnResult {
  /** The provider's own session or thread id, when it has one (kept for resume). */
  nativeSessionId?: string;
  pid?: number;
  /**
   * Resolves exactly once, when nothing of this spawn is left running, whatever ended it (a crash, `shutdown()`, a
   * kill from outside). Never rejects. Only the supervisor turns it into an `exited` event.
   */
  exited: Promise<ProviderExit>;
}

export interface ShutdownOptions {
  /** Graceful asks the provider to exit; hard kills at once. Graceful escalates to hard after `timeoutMs`. */
  graceful: boolean;
  timeoutMs: number;
}

export interface TerminalAttachSpec {
  /** argv a person runs to attach, e.g. ["tmux", "-L", "sock", "attach", "-t", "name"]. */
  command: string[];
  description: string;
  tmux?: { socket: string; session: string };
}

export interface PermissionRequest {
  approvalId: string;
  tool: string;
  /** What would run: a command line, a diff, a path. */
  detail: string;
  metadata?: Record<string, unknown>;
}

/** Everything a provider reports, as a union discriminated on `type`; each carries its spawn's session id. */
export type ProviderEvent = { providerSessionId: string } & (
  | { type: "turn.started"; turnId?: string }
  | { type: "turn.completed"; turnId?: string }
  | { type: "turn.failed"; turnId?: string; reason: string }
  | { type: "subagent.started"; subagentId: string; label?: string }
  | { type: "subagent.stopped"; subagentId: string }
  | { type: "compaction.started" }
  | { type: "compaction.completed" }
  | { type: "needs-input"; reason: string; screen?: string }
  | { type: "input.resolved" }
  | { type: "permission.requested"; request: PermissionRequest }
  | { type: "permission.resolved"; approvalId: string }
  | { type: "context.usage"; usedTokens: number; maxTokens?: number }
  /** The conversation's running totals (cost where the provider computes it): each report replaces the last. */
  | { type: "usage.totals"; inputTokens: number; outputTokens: number; costUsd?: number }
  /** The model got the message: `midTurn` true inside a running turn, false or absent at a turn boundary. */
  | { type: "delivery.confirmed"; messageId: number; midTurn?: boolean }
  | { type: "session.ended"; reason: string }
  /** The provider moved to another native session/thread (e.g. after clearing its context): resume that one next time. */
  | { type: "session.changed"; nativeSessionId: string }
  /** Announced by the supervisor alone, from the spawn's `exited` promise; adapters never emit it. */
  /** `unexpected`: the provider ended on its own, not stopped or restarted by the runner. */
  | ({ type: "exited"; unexpected?: boolean } & ProviderExit)
);
export type ProviderEventType = ProviderEvent["type"];

/** What an adapter may emit: every provider event but `exited`. */
export type AdapterEvent = Exclude<ProviderEvent, { type: "exited" }>;

/** An adapter event before it is stamped with its spawn's session id. */
export type AdapterEventBody = AdapterEvent extends infer E
  ? E extends unknown
    ? Omit<E, "providerSessionId">
    : never
  : never;

export type AdapterEventListener = (event: AdapterEvent) => void;
/** What the supervisor hands the runner: the current spawn's events, `exited` included. */
export type ProviderEventListener = (event: ProviderEvent) => void;

/** The slice of the runner's control server an adapter may use: its hooks' raw events and the monitor stream. */
export interface ControlPort {
  /** Hand a line to the provider-side monitor; `accepted: false` means no monitor is connected. */
  publishDelivery(item: { messageId: number; line: string }): { accepted: boolean };
  onControlEvent(listener: (event: ControlEvent) => void): () => void;
}

export interface ProviderAdapter {
  readonly name: ProviderName;
  /** Tags every agent of this provider gets (besides the provider name). */
  readonly defaultTags: readonly string[];
  /** Whether the adapter emits `delivery.confirmed` once the model saw a message (Claude, Codex); `written` ones then get a deadline. */
  readonly confirmsDelivery?: boolean;
  /**
   * deliver() holds a busy provider's messages until its turn ends (Codex), and may meanwhile be called again with
   * `midTurn` items: the runner then lets urgent messages past the held delivery.
   */
  readonly takesMidTurnWhileHolding?: boolean;
  /** Whether its `usage.totals` carry the provider's own cost (Claude Code); others are priced with --token-price. */
  readonly reportsCost?: boolean;
  /** Whether the runner may restart this provider after it exits unexpectedly. */
  readonly supportsUnexpectedExitRestart: boolean;

  /** Start the provider and resolve once it is ready for input; reject (PROVIDER_NOT_READY) after its deadline. */
  spawn(ctx: SpawnContext): Promise<SpawnResult>;
  /** Hand messages to the provider. Rejects when they did not reach it (the runner retries later). */
  deliver(items: DeliveryItem[], signal: AbortSignal): Promise<DeliveryResult>;
  /** Stop the provider; resolves when nothing of it is left running (its spawn's `exited` has resolved). */
  shutdown(options: ShutdownOptions): Promise<void>;
  /** Subscribe to the adapter's events; returns the unsubscribe function. */
  onEvent(listener: AdapterEventListener): () => void;

  deliverInitialPrompt?(prompt: string, signal: AbortSignal): Promise<void>;
  /**
   * Stop the provider's current turn, as a person would (Esc for Claude, `turn/interrupt` for Codex, Ctrl-C for a
   * terminal program); the provider stays up. A no-op when no turn runs. Used when a task's time limit passes.
   */
  interrupt?(signal: AbortSignal): Promise<void>;
  compact?(signal: AbortSignal): Promise<void>;
  clearContext?(signal: AbortSignal): Promise<void>;
  /** Deliver text as a system note (agent.injectContext); adapters without it get a plain delivery. */
  injectContext?(content: string, signal: AbortSignal): Promise<void>;
  /** Put a system note into the provider's context without a turn (the note after a compaction). */
  injectSystemNote?(text: string, signal: AbortSignal): Promise<void>;
  /** Answer a permission request the provider itself asked for; false when the id is unknown. */
  respondToPermissionDecision?(approvalId: string, decision: PermissionDecision): Promise<boolean>;
  terminalAttachSpec(): TerminalAttachSpec | undefined;
  /** Called once, before the first spawn, by runners whose provider talks back through the control server. */
  bindControl?(control: ControlPort): void;
  /** Tokens the conversation has used so far (a task's usage is the growth over the task); Codex reports them by event instead. */
  usageTotals?(): Promise<{ inputTokens: number; outputTokens: number } | undefined>;
  /** Extra runtime facts for the heartbeat meta (context use, tmux session...). */
  runtimeMeta?(): Record<string, unknown>;
}

/** What adapters fan their events out with: the shared emitter, one channel, listener errors isolated. */
export class ProviderEventHub {
  private readonly emitter: TypedEmitter<{ event: AdapterEvent }>;
  constructor(onListenerError?: ListenerErrorSink) {
    this.emitter = new TypedEmitter(onListenerError);
  }
  on(listener: AdapterEventListener): () => void {
    return this.emitter.on("event", listener);
  }
  emit(event: AdapterEvent): void {
    this.emitter.emit("event", event);
  }
}
