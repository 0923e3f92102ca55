// Rate-limited logging: the same kind of error is let through at most once per window, with a count of what was held back.
import type { Clock } from "./clock.ts";

export interface LogOnceOptions {
  clock: Clock;
  /** How long a key stays quiet after it was logged; Infinity = once until reset. */
  windowMs: number;
  /** Keys remembered at most; the oldest is forgotten first. Default 1000. */
  maxKeys?: number;
}

export interface LogOnceVerdict {
  log: boolean;
  /** Occurrences held back since this key was last logged (reported with the next one let through). */
  suppressed: number;
}

export class LogOnce {
  private readonly seen = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly options: LogOnceOptions) {}

  /** Decides for one occurrence of `key`, e.g. "liveness:401" or "delivery-failed". */
  check(key: string): LogOnceVerdict {
    const now = this.options.clock.now();
    const entry = this.seen.get(key);
    if (entry && now - entry.at < this.options.windowMs) {
      entry.suppressed++;
      return { log: false, suppressed: entry.suppressed };
    }
    const suppressed = entry?.suppressed ?? 0;
    this.seen.delete(key);
    this.seen.set(key, { at: now, suppressed: 0 });
    if (this.seen.size > (this.options.maxKeys ?? 1000)) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return { log: true, suppressed };
  }

  /** check(key).log, for the common case. */
  shouldLog(key: string): boolean {
    return this.check(key).log;
  }

  /** Runs `log` (with the held-back count) when this occurrence may be logged. */
  run(key: string, log: (suppressed: number) => void): boolean {
    const verdict = this.check(key);
    if (verdict.log) log(verdict.suppressed);
    return verdict.log;
  }

  /** Forget one key (e.g. after the error cleared) or all keys. */
  reset(key?: string): void {
    if (key === undefined) this.seen.clear();
    else this.seen.delete(key);
  }
}
