// A provider adapter fixture that runs in-process: records spawns and deliveries, fails or holds them on request.
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
} from "../../src/providers/adapter.ts";
import { ProviderEventHub } from "../../src/providers/adapter.ts";

type EventBody = ProviderEvent extends infer E
  ? E extends unknown
    ? Omit<E, "providerSessionId">
    : never
  : never;

export class RecordingAdapter implements ProviderAdapter {
  readonly name = "command" as const;
  readonly defaultTags: readonly string[] = [];
  readonly supportsUnexpectedExitRestart = true;
  private readonly hub = new ProviderEventHub();
  /** Message ids of each successful deliver() call, in call order. */
  readonly deliveries: number[][] = [];
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

  get currentSessionId(): string | undefined {
    return this.spawns.at(-1)?.providerSessionId;
  }

  async spawn(ctx: SpawnContext): Promise<SpawnResult> {
    this.spawns.push(ctx);
    const error = this.spawnError;
    this.spawnError = undefined;
    if (error) throw error;
    return { pid: 10_000 + this.spawns.length };
  }

  async deliver(items: DeliveryItem[], _signal: AbortSignal): Promise<DeliveryResult> {
    this.attempts++;
    if (this.gate) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("the provider did not take the input");
    }
    this.deliveries.push(items.map((i) => i.message.id));
    return { state: "written" };
  }

  async shutdown(options: ShutdownOptions): Promise<void> {
    this.shutdowns.push(options);
  }

  onEvent(listener: ProviderEventListener): () => void {
    return this.hub.on(listener);
  }

  /** Emit an event for the current spawn (or the given session id). */
  emit(event: EventBody, providerSessionId = this.currentSessionId ?? "none"): void {
    this.hub.emit({ ...event, providerSessionId } as ProviderEvent);
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
