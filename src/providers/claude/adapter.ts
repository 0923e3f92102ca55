// The Claude Code provider's facade: claude in tmux with the relay plugin, delivery by inbox, monitor or paste.
// Wiring: `bindControl` (README.md). Hooks become events in one place (hooks.ts), stamped with the spawn's id.
import type { ControlEvent } from "../../control/schemas.ts";
import { systemClock } from "../../util/clock.ts";
import { type Logger, silentLogger } from "../../util/logger.ts";
import type * as A from "../adapter.ts";
import { ProviderEventHub } from "../adapter.ts";
import { DeliveryConfirmer } from "./confirm.ts";
import { type DeliveryDeps, deliverTo, paste, Serial } from "./deliver.ts";
import { HookWaiters } from "./hooks.ts";
import type { InboxLink, InboxPriority } from "./inbox.ts";
import { ClaudeMachine, spawnOf } from "./lifecycle.ts";
import { InboxLineBudget, MonitorEventBudget } from "./monitor-budget.ts";
import { MonitorPresence } from "./monitor-presence.ts";
import type { ClaudeAdapterOptions } from "./options.ts";
import { CLEAR, COMPACT, injectedNote, runSlashCommand, type SlashCommand } from "./slash.ts";
import { TranscriptUsage, type UsageTotals } from "./usage-totals.ts";

export { inboxWanted } from "./inbox.ts";
export type { ClaudeAdapterOptions };

const ids = (items: A.DeliveryItem[]) => items.map((i) => i.message.id);

export class ClaudeAdapter implements A.ProviderAdapter {
  readonly name = "claude" as const;
  readonly defaultTags = ["claude-code"] as const;
  readonly confirmsDelivery = true;
  /** deliver() holds a busy Claude's normal messages outside the pane's chain: urgent ones may go past them. */
  readonly takesMidTurnWhileHolding = true;
  readonly reportsCost = true;
  readonly supportsUnexpectedExitRestart = true;

  private readonly hub = new ProviderEventHub();
  private readonly log: Logger;
  private readonly machine: ClaudeMachine;
  /** Deliveries and slash commands share one chain: one operation on the pane at a time. */
  private readonly serial = new Serial();
  private readonly hooks: HookWaiters;
  private readonly transcriptUsage = new TranscriptUsage();
  /** The last cost the current spawn's status line reported. */
  private costUsd: { providerSessionId: string; usd: number } | undefined;
  private readonly monitor: MonitorPresence;
  private readonly delivery: DeliveryDeps;
  private unbindControl: (() => void) | undefined;

  constructor(private o: ClaudeAdapterOptions) {
    const clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger();
    this.hooks = new HookWaiters(clock);
    this.monitor = new MonitorPresence(clock);
    const confirmer = new DeliveryConfirmer(clock, (messageId, midTurn) =>
      this.machine.emit({ type: "delivery.confirmed", messageId, ...(midTurn ? { midTurn } : {}) }),
    );
    this.machine = new ClaudeMachine({
      options: () => this.o,
      clock,
      log: this.log,
      confirmer,
      monitor: this.monitor,
      hooks: this.hooks,
      emit: (e) => {
        this.hub.emit(e);
        // A new answer in the transcript: its tokens count now, not only at the next status line update.
        if (e.type === "context.usage") void this.reportUsage(e.providerSessionId);
      },
    });
    this.delivery = {
      confirmer,
      budget: new MonitorEventBudget(clock),
      inboxBudget: new InboxLineBudget(clock),
      monitor: () => (this.deliveryPath === "monitor" ? this.o.publishToMonitor : undefined),
      confirmTimeoutMs: o.confirmTimeoutMs ?? 5_000,
      dialogWaitMs: o.dialogWaitMs ?? 20_000,
      log: this.log,
    };
  }

  onEvent(listener: A.AdapterEventListener): () => void {
    return this.hub.on(listener);
  }

  /** Which path the next delivery takes: Claude's inbox when it bound it, else the monitor, else a paste. */
  get deliveryPath(): "inbox" | "monitor" | "paste" {
    if (this.inbox?.isBound) return "inbox";
    return this.monitor.connected && this.o.publishToMonitor ? "monitor" : "paste";
  }

  private get inbox(): InboxLink | undefined {
    const s = this.machine.state;
    return s.kind === "ready" ? s.live.inbox : undefined;
  }

  /** The runner's control server: raw hook events and monitor presence in, monitor lines out. */
  bindControl(control: A.ControlPort): void {
    this.unbindControl?.();
    this.o = { ...this.o, publishToMonitor: (item) => control.publishDelivery(item) };
    this.unbindControl = control.onControlEvent((e) => this.handleControlEvent(e));
  }

  /** Every control-server event: monitor presence, and the current spawn's hooks (the one confirmation source). */
  handleControlEvent(event: ControlEvent): void {
    if (event.type === "monitor.connected" || event.type === "monitor.disconnected")
      this.monitor.set(event.monitors);
    else if (event.type === "hook.received") this.machine.onHook(event.providerSessionId, event.payload);
    else if (event.type === "status-line.received") {
      if (spawnOf(this.machine.state)?.providerSessionId !== event.providerSessionId) return;
      if (event.costUsd !== undefined)
        this.costUsd = { providerSessionId: event.providerSessionId, usd: event.costUsd };
      void this.reportUsage(event.providerSessionId);
    }
  }

  /** The current spawn's running tokens (its transcript) and cost (Claude's own, from its status line). */
  private async reportUsage(providerSessionId: string): Promise<void> {
    const tokens = await this.usageTotals();
    if (!tokens || spawnOf(this.machine.state)?.providerSessionId !== providerSessionId) return;
    const cost = this.costUsd?.providerSessionId === providerSessionId ? this.costUsd.usd : undefined;
    this.machine.emit({ type: "usage.totals", ...tokens, ...(cost !== undefined ? { costUsd: cost } : {}) });
  }

  spawn(ctx: A.SpawnContext): Promise<A.SpawnResult> {
    return this.machine.spawn(ctx);
  }

  /** Resolves once nothing of the spawn is left: after its `exited` resolved. */
  shutdown(options: A.ShutdownOptions): Promise<void> {
    return this.machine.shutdown(options.graceful, options.timeoutMs);
  }

  /**
   * `midTurn` messages go at once: into the running turn between two tool calls, or as a new turn. The others wait
   * for the running turn to end (Stop) and become the next turn. What the model already saw is never sent again.
   */
  async deliver(items: A.DeliveryItem[], signal: AbortSignal): Promise<A.DeliveryResult> {
    const unseen = items.filter((i) => !this.delivery.confirmer.isConfirmed(i.message.id));
    const now = unseen.filter((i) => i.midTurn === true);
    const next = unseen.filter((i) => i.midTurn !== true);
    let confirmed = true;
    const send = async (batch: A.DeliveryItem[], priority: InboxPriority) => {
      const r = await this.serial.run(() =>
        deliverTo(this.machine.target(), batch, this.delivery, priority, signal),
      );
      confirmed &&= r.state === "confirmed";
    };
    if (now.length > 0) await send(now, "next");
    if (next.length > 0) {
      if (this.machine.inTurn)
        this.log.info({ messageIds: ids(next) }, "messages wait for the running turn to end");
      await this.machine.waitForTurnEnd(signal);
      await send(next, "later");
    }
    return { state: confirmed ? "confirmed" : "written" };
  }

  deliverInitialPrompt(prompt: string, signal: AbortSignal): Promise<void> {
    return this.pasteText(prompt, signal);
  }

  injectContext(content: string, signal: AbortSignal): Promise<void> {
    return this.pasteText(injectedNote(content), signal);
  }

  /** Esc into the pane, outside the delivery chain (a delivery in it may be waiting for this very turn to end). */
  async interrupt(_signal: AbortSignal): Promise<void> {
    if (this.machine.state.kind === "ready") await this.machine.target().terminal.interrupt();
  }

  async usageTotals(): Promise<UsageTotals | undefined> {
    const path = this.machine.conversation.transcriptPath;
    return path ? this.transcriptUsage.read(path) : undefined;
  }

  compact(signal: AbortSignal): Promise<void> {
    return this.slash(COMPACT, signal);
  }

  clearContext(signal: AbortSignal): Promise<void> {
    return this.slash(CLEAR, signal);
  }

  private pasteText(text: string, signal: AbortSignal): Promise<void> {
    return this.serial.run(() => paste(this.machine.target(), text, this.delivery.dialogWaitMs, signal));
  }

  private slash(cmd: SlashCommand, signal: AbortSignal): Promise<void> {
    const deps = { hooks: this.hooks, dialogWaitMs: this.delivery.dialogWaitMs, log: this.log };
    return this.serial.run(() => runSlashCommand(this.machine.target(), cmd, deps, signal));
  }

  terminalAttachSpec(): A.TerminalAttachSpec | undefined {
    if (this.machine.state.kind === "stopped") return undefined;
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
      claudeSessionId: this.machine.conversation.claudeSessionId,
      model: this.machine.conversation.model,
      deliveryPath: this.deliveryPath,
      // off: not asked for (switched off, or its path unusable); unbound: Claude did not bind it (its gate is off).
      inbox: this.inbox ? (this.inbox.isBound ? "bound" : "unbound") : "off",
      inboxSocket: this.inbox?.isBound ? this.inbox.path : undefined,
      monitorConnected: this.monitor.connected,
      contextUsedTokens: this.machine.contextUsedTokens,
      lifecycle: this.machine.state.kind,
    };
  }
}
