// A provider adapter fixture that runs in-process: records spawns and deliveries, fails or holds them on request.
import type {
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
} from "../../src/providers/adapter.ts";
import { type AdapterEvent, ProviderEventHub } from "../../src/providers/adapter.ts";

export class RecordingAdapter implements ProviderAdapter {
  readonly name = "command" as const;
  readonly defaultTags: readonly string[] = [];
  readonly supportsUnexpectedExitRestart = true;
  private readonly hub = new ProviderEventHub();
  /** Each spawn's exit, by provider session id: resolving it is the spawn ending. */
  private readonly exits = new Map<string, (exit: ProviderExit) => void>();
  /** Message ids of each successful deliver() call, in call order. */
  readonly deliveries: number[][] = [];
  /** The items of each successful deliver() call, in call order. */
  readonly deliveredItems: DeliveryItem[][] = [];
  /** Every deliver() call, successful or not. */
  attempts = 0;
  /** Reject this many of the next deliver() calls. */
  failNext = 0;
  /** When set, deliver() waits for it before deciding (to hold a delivery in flight). */
  gate: Promise<void> | undefined;
  readonly spawns: SpawnContext[] = [];
  readonly shutdowns: ShutdownOptions[] = [];
  /** Reject the next spawn with this error. */
  spawnError: Error | undefined;
  /** Make shutdown() return without ending the spawn (an adapter breaking its contract). */
  shutdownLeavesSpawn = false;

  get currentSessionId(): string | undefined {
    return this.spawns.at(-1)?.providerSessionId;
  }

  async spawn(ctx: SpawnContext): Promise<SpawnResult> {
    this.spawns.push(ctx);
    const error = this.spawnError;
    this.spawnError = undefined;
    if (error) throw error;
    const exited = new Promise<ProviderExit>((resolve) => this.exits.set(ctx.providerSessionId, resolve));
    return { pid: 10_000 + this.spawns.length, exited };
  }

  async deliver(items: DeliveryItem[], _signal: AbortSignal): Promise<DeliveryResult> {
    this.attempts++;
    if (this.gate) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("the provider did not take the input");
    }
    this.deliveries.push(items.map((i) => i.message.id));
    this.deliveredItems.push(items);
    return { state: "written" };
  }

  /** Ends the current spawn as a polite program would (SIGTERM), unless told to break the contract. */
  async shutdown(options: ShutdownOptions): Promise<void> {
    this.shutdowns.push(options);
    if (!this.shutdownLeavesSpawn) this.exit({ exitCode: null, signal: "SIGTERM" });
  }

  onEvent(listener: AdapterEventListener): () => void {
    return this.hub.on(listener);
  }

  /** Emit an event for the current spawn (or the given session id). */
  emit(event: AdapterEventBody, providerSessionId = this.currentSessionId ?? "none"): void {
    this.hub.emit({ ...event, providerSessionId } as AdapterEvent);
  }

  /** End the current spawn (or the given one): its handle's `exited` resolves; later calls for it do nothing. */
  exit(exit: ProviderExit = { exitCode: 1, signal: null }, providerSessionId = this.currentSessionId): void {
    if (providerSessionId === undefined) return;
    this.exits.get(providerSessionId)?.(exit);
    this.exits.delete(providerSessionId);
  }

  terminalAttachSpec(): TerminalAttachSpec | undefined {
    return undefined;
  }
}

/** A promise with its resolve function, to hold something until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}
