// When to renew a runtime token: ttl − lead − jitter, lead = clamp(20% ttl, 1 min, 1 h), never sooner than 1 s.
import { RENEWABLE_PROFILES } from "../protocol/index.ts";

export const RENEWAL_MIN_LEAD_MS = 60_000;
export const RENEWAL_MAX_LEAD_MS = 3_600_000;
export const RENEWAL_MAX_JITTER_MS = 30_000;
export const RENEWAL_MIN_DELAY_MS = 1_000;
export const RENEWAL_RETRY_MS = 60_000;

export interface RenewalInput {
  expiresAtMs: number;
  nowMs: number;
  /** Returns [0, 1); default Math.random. */
  random?: () => number;
}

export interface RenewalPlan {
  ttlMs: number;
  leadMs: number;
  jitterMs: number;
  delayMs: number;
}

/** The whole computation, for logs and tests. */
export function computeRenewalPlan({ expiresAtMs, nowMs, random = Math.random }: RenewalInput): RenewalPlan {
  const ttlMs = expiresAtMs - nowMs;
  const leadMs = Math.min(RENEWAL_MAX_LEAD_MS, Math.max(RENEWAL_MIN_LEAD_MS, 0.2 * ttlMs));
  const r = Math.min(Math.max(random(), 0), 1);
  const jitterMs = r * Math.min(RENEWAL_MAX_JITTER_MS, leadMs / 2);
  const delayMs = Math.max(RENEWAL_MIN_DELAY_MS, Math.round(ttlMs - leadMs - jitterMs));
  return { ttlMs, leadMs, jitterMs, delayMs };
}

/** Milliseconds from now until the renewal should run. */
export function computeRenewalDelay(input: RenewalInput): number {
  return computeRenewalPlan(input).delayMs;
}

/** Only runtime tokens of the provider profiles are renewed by the runner. */
export function shouldRenew(profileId: string | undefined): boolean {
  return profileId !== undefined && (RENEWABLE_PROFILES as readonly string[]).includes(profileId);
}
