// The bus reconnect schedule: equal-jitter exponential backoff, capped, reset after a successful welcome; with
// several relays, the next one is tried at once and the backoff counts rounds over all of them.
import { Backoff } from "../util/backoff.ts";
import type { RelayRoute } from "./relay-route.ts";

/** The bus's defaults: first delay 50–100 ms, never more than 10 s. */
export const RECONNECT_DEFAULTS = { initialMs: 100, maxMs: 10_000 } as const;

/**
 * Attempt n (from 0) waits between half and all of `min(maxMs, initialMs * 2^n)`.
 * Equal jitter keeps a floor under every delay, so a relay that refuses at once is never hammered,
 * while the random half still spreads many runners that lost the same relay.
 */
export function reconnectBackoff(
  options: { initialMs?: number; maxMs?: number } = {},
  random: () => number = Math.random,
): Backoff {
  const initialMs = options.initialMs ?? RECONNECT_DEFAULTS.initialMs;
  const maxMs = options.maxMs ?? RECONNECT_DEFAULTS.maxMs;
  return new Backoff({ initialMs, maxMs, factor: 2, jitter: "equal" }, random);
}

/**
 * When to try again after a lost or failed connection, and where (`route.current` afterwards). A connection
 * failure moves the route to the next relay and tries it at once; only when every relay failed in a row does the
 * backoff wait (one backoff step per round). With one relay this is exactly the plain backoff.
 */
export class FailoverSchedule {
  private failedInRound = 0;

  constructor(
    private readonly route: RelayRoute,
    private readonly backoff: Backoff,
  ) {}

  /** Attempts counted by the backoff since the last welcome. */
  get attempts(): number {
    return this.backoff.attempts;
  }

  /** The connection to `url` failed (refused, reset, timeout): the delay before trying `route.current`. */
  connectionFailed(url: string, reason: string): number {
    this.route.failed(url, reason);
    this.failedInRound++;
    if (this.failedInRound < this.route.size) return 0;
    this.failedInRound = 0;
    return this.backoff.next();
  }

  /** The relay answered but refused (e.g. an auth error at hello): retry the same relay after a backoff step. */
  refused(): number {
    return this.backoff.next();
  }

  /** A welcome: the next failure starts a fresh round at the first delay. */
  reset(): void {
    this.failedInRound = 0;
    this.backoff.reset();
  }
}
