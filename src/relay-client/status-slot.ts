// The bus client's latest status frame and the statusAsync() callers waiting for it to be written.
import { RelayClientError } from "./errors.ts";

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * Only the newest status matters: a status superseded before it was written is never sent, and whoever
 * waited for it is satisfied by the newer one being written.
 */
export class StatusSlot {
  private latest: string | undefined;
  private waiters: Waiter[] = [];
  private closed = false;

  /** Remember `frameJson` as the status to publish; with `waiter`, also wait for it to be written. */
  set(frameJson: string, waiter?: Waiter): void {
    if (this.closed) {
      waiter?.reject(closedError());
      return;
    }
    this.latest = frameJson;
    if (waiter) this.waiters.push(waiter);
  }

  /** Write the latest status with `write`; waiters resolve when it lands, or wait for the next flush if it did not. */
  flush(write: (text: string, done: (err?: Error) => void) => void): void {
    if (this.latest === undefined) return;
    const waiting = this.waiters;
    this.waiters = [];
    write(this.latest, (err) => {
      if (!err) for (const w of waiting) w.resolve();
      else if (this.closed) for (const w of waiting) w.reject(closedError());
      else this.waiters.unshift(...waiting);
    });
  }

  /** Reject every waiter, now and from now on. */
  close(): void {
    this.closed = true;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.reject(closedError());
  }
}

function closedError(): RelayClientError {
  return new RelayClientError("BUS_CLOSED", "bus client closed before the status was sent");
}
