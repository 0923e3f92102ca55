// A provider that does nothing but record when each message reached deliver(): the runner's overhead with no terminal.
import {
  type AdapterEventListener,
  type DeliveryItem,
  type DeliveryResult,
  type ProviderAdapter,
  ProviderEventHub,
  type ProviderExit,
  type SpawnContext,
  type SpawnResult,
} from "../../src/providers/adapter.ts";

export interface NullDelivery {
  id: number;
  /** performance.now() when deliver() was called. */
  at: number;
  /** The provider session it went into (a restart starts a new one). */
  session: string;
  body: string;
  attachmentPaths: string[];
}

export class NullAdapter implements ProviderAdapter {
  readonly name = "command" as const;
  readonly defaultTags: readonly string[] = [];
  readonly supportsUnexpectedExitRestart = false;
  readonly deliveries: NullDelivery[] = [];
  /** When spawn() resolved (performance.now()). */
  spawnedAt: number | undefined;
  private session = "";
  /** Ends the current spawn: its handle's `exited` resolves. */
  private endSpawn: ((exit: ProviderExit) => void) | undefined;
  private readonly hub = new ProviderEventHub();
  private readonly listeners = new Set<(d: NullDelivery) => void>();

  async spawn(ctx: SpawnContext): Promise<SpawnResult> {
    this.session = ctx.providerSessionId;
    this.spawnedAt = performance.now();
    const exit = Promise.withResolvers<ProviderExit>();
    this.endSpawn = exit.resolve;
    return { pid: process.pid, exited: exit.promise };
  }

  async deliver(items: DeliveryItem[]): Promise<DeliveryResult> {
    const at = performance.now();
    for (const item of items) {
      const d = {
        id: item.message.id,
        at,
        session: this.session,
        body: item.message.body,
        attachmentPaths: item.attachmentPaths,
      };
      this.deliveries.push(d);
      for (const l of this.listeners) l(d);
    }
    return { state: "written" };
  }

  /** Called for every message handed over (for benches that time each one as it lands). */
  onDelivery(listener: (d: NullDelivery) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Nothing runs, so the spawn ends at once. */
  async shutdown(): Promise<void> {
    this.endSpawn?.({ exitCode: 0, signal: null });
    this.endSpawn = undefined;
  }

  onEvent(listener: AdapterEventListener): () => void {
    return this.hub.on(listener);
  }

  terminalAttachSpec(): undefined {
    return undefined;
  }
}
