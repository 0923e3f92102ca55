// What wakes a relay to read what the other relays on its database wrote: a LISTEN and a fallback timer, as one.
import type { Clock, TimerHandle } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";

export interface WakeUpsOptions {
  clock: Clock;
  logger: Logger;
  /** The fallback: every this often whatever the notifications do (they may be lost); none when undefined. */
  pollMs?: number;
  /** Run on each tick of the fallback timer. */
  onTick?: () => void;
}

type State = "created" | "following" | "stopped";

export class WakeUps {
  private state: State = "created";
  private timer: TimerHandle | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly o: WakeUpsOptions) {}

  /** True from start until stop: reads woken now should run. */
  get following(): boolean {
    return this.state === "following";
  }

  /** `listen` subscribes and resolves with its stop; the timer is armed once it is listening. */
  async start(listen: () => Promise<() => Promise<void>>): Promise<void> {
    this.state = "following";
    this.unlisten = await listen();
    if (this.following) this.arm();
  }

  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.timer?.cancel();
    await this.unlisten?.().catch((e) => this.o.logger.warn({ err: e }, "could not stop listening"));
  }

  private arm(): void {
    const { pollMs, onTick } = this.o;
    if (pollMs === undefined || !onTick) return;
    this.timer = this.o.clock.setTimeout(() => {
      onTick();
      if (this.following) this.arm();
    }, pollMs);
  }
}
