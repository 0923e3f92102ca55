// The bus reconnect schedule: equal-jitter exponential backoff, capped, reset after a successful welcome.
import { Backoff } from "../util/backoff.ts";

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
