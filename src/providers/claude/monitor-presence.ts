// Whether Claude's relay monitor is connected, and a bounded wait for it to connect after a spawn.
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";

/** How long a spawn waits for the armed monitor before reporting ready anyway (deliveries then paste). */
export const MONITOR_CONNECT_WAIT_MS = 10_000;

export class MonitorPresence {
  private count = 0;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  get connected(): boolean {
    return this.count > 0;
  }

  /** The control server's count of connected monitors. */
  set(count: number): void {
    this.count = count;
    if (count > 0) for (const w of [...this.waiters]) w();
  }

  /** Wait (bounded) for a monitor after a spawn; past the deadline deliveries paste, and that is logged. */
  async awaitConnect(timeoutMs: number, signal: AbortSignal, log: Logger): Promise<void> {
    if (!(await this.waitForConnect(timeoutMs, signal)))
      log.warn({ waitedMs: timeoutMs }, "the relay monitor did not connect; delivering by paste");
  }

  /** Resolves true once a monitor is connected, false at the deadline or on abort. */
  waitForConnect(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        timer.cancel();
        this.waiters.delete(onConnect);
        signal.removeEventListener("abort", onAbort);
        resolve(ok);
      };
      const onConnect = () => finish(true);
      const onAbort = () => finish(false);
      const timer = this.clock.setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(onConnect);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
