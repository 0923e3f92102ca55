// Holds deliveries while a graceful stop or restart lets the provider take in what it was last given.
import { type Clock, sleep } from "../util/clock.ts";

/** How long a graceful stop waits for a just-written message to start its turn. */
export const TURN_START_GRACE_MS = 1_500;
const POLL_MS = 50;

export class DeliveryGate {
  private holding = false;
  private lastDeliveredAt = 0;
  private lastTurnStartedAt = 0;

  constructor(
    private readonly clock: Clock,
    /** Whether the provider is in a turn now. */
    private readonly inTurn: () => boolean,
  ) {}

  get isOpen(): boolean {
    return !this.holding;
  }

  delivered(): void {
    this.lastDeliveredAt = this.clock.now();
  }

  turnStarted(): void {
    this.lastTurnStartedAt = this.clock.now();
  }

  /**
   * Close the gate and wait (at most `ms`) until the delivery under way finished, the last written message had a
   * moment to start its turn, and that turn ended — so a restart never cuts off input the program had not taken in.
   */
  async quiesce(ms: number, deliveryIdle: () => Promise<void>): Promise<void> {
    this.holding = true;
    const deadline = this.clock.now() + ms;
    const busy = () => {
      if (this.inTurn()) return true;
      const awaitingTurn = this.lastTurnStartedAt < this.lastDeliveredAt;
      return awaitingTurn && this.clock.now() - this.lastDeliveredAt < TURN_START_GRACE_MS;
    };
    await Promise.race([deliveryIdle(), sleep(this.clock, ms)]);
    while (busy() && this.clock.now() < deadline) await sleep(this.clock, POLL_MS);
  }

  open(): void {
    this.holding = false;
  }
}
