// Renews the runtime token on schedule: success → onRenewed and schedule the next; failure → onFailed, retry in 60 s.
import type { TokenAnswer, TokenRecord } from "../protocol/index.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import { RunnerError } from "../util/errors.ts";
import { computeRenewalDelay, RENEWAL_RETRY_MS, shouldRenew } from "./token-schedule.ts";

// Platform timers overflow past this; long waits wake early and re-arm, whatever the clock does.
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TokenRenewerOptions {
  clock: Clock;
  /** Asks the relay for a new token (POST /v1/tokens/renew); aborted by stop(). */
  renew: (signal: AbortSignal) => Promise<TokenAnswer>;
  /** Swap the token everywhere; if it throws, onFailed hears it but the next renewal is still scheduled. */
  onRenewed: (answer: TokenAnswer) => void | Promise<void>;
  onFailed: (error: unknown) => void;
  random?: () => number;
  retryMs?: number;
}

/**
 *   idle ──schedule──▶ waiting ──due──▶ renewing ──ok──▶ waiting (next token)
 *                         ▲                 │
 *                         └─────60 s────────┘ failed
 *   any ──stop──▶ stopped (timer cancelled, in-flight renew aborted and its result ignored)
 */
export type TokenRenewerState = "idle" | "waiting" | "renewing" | "stopped";

export class TokenRenewer {
  private stateValue: TokenRenewerState = "idle";
  private timer: TimerHandle | undefined;
  private inFlight: AbortController | undefined;
  private dueAt: number | undefined;
  private current: Promise<void> | undefined;

  constructor(private readonly options: TokenRenewerOptions) {}

  get state(): TokenRenewerState {
    return this.stateValue;
  }

  /** Clock time of the next renewal attempt, if one is armed. */
  get nextRenewalAt(): number | undefined {
    return this.stateValue === "waiting" ? this.dueAt : undefined;
  }

  /**
   * Plans the renewal of the token described by `record` (replacing any plan). Returns false, and plans
   * nothing, for profiles the runner does not renew or after stop().
   */
  schedule(record: TokenRecord): boolean {
    if (this.stateValue === "stopped") return false;
    if (!shouldRenew(record.profileId)) {
      this.cancelPlan();
      this.stateValue = "idle";
      return false;
    }
    const now = this.options.clock.now();
    const delay = computeRenewalDelay({
      expiresAtMs: record.expiresAt * 1000,
      nowMs: now,
      random: this.options.random ?? Math.random,
    });
    this.armAt(now + delay);
    return true;
  }

  /**
   * Renews at once (e.g. after a 401), replacing the plan; joins a renewal already in flight.
   * Resolves when that attempt has finished, whatever its outcome (onRenewed/onFailed report it).
   */
  renewNow(): Promise<void> {
    if (this.stateValue === "stopped") return Promise.resolve();
    if (this.current) return this.current;
    this.timer?.cancel();
    this.timer = undefined;
    return this.runRenewal();
  }

  /** Cancels the timer and aborts an in-flight renewal; nothing fires afterwards. */
  stop(): void {
    this.cancelPlan("token renewer stopped");
    this.stateValue = "stopped";
  }

  private cancelPlan(reason = "token renewal rescheduled"): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.inFlight?.abort(new RunnerError("ABORTED", reason));
    this.inFlight = undefined;
    this.dueAt = undefined;
  }

  private armAt(dueAt: number): void {
    this.cancelPlan();
    this.dueAt = dueAt;
    this.stateValue = "waiting";
    const wait = () => {
      const left = dueAt - this.options.clock.now();
      if (left > MAX_TIMER_MS) this.timer = this.options.clock.setTimeout(wait, MAX_TIMER_MS);
      else this.timer = this.options.clock.setTimeout(() => void this.runRenewal(), Math.max(0, left));
    };
    wait();
  }

  private runRenewal(): Promise<void> {
    const run = this.attempt().finally(() => {
      if (this.current === run) this.current = undefined;
    });
    this.current = run;
    return run;
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    const controller = new AbortController();
    this.inFlight = controller;
    this.stateValue = "renewing";
    let answer: TokenAnswer;
    try {
      answer = await this.options.renew(controller.signal);
    } catch (error) {
      if (this.inFlight !== controller) return;
      this.inFlight = undefined;
      this.armAt(this.options.clock.now() + (this.options.retryMs ?? RENEWAL_RETRY_MS));
      this.options.onFailed(error);
      return;
    }
    // Stopped or rescheduled while the request ran: the result belongs to nobody.
    if (this.inFlight !== controller) return;
    this.inFlight = undefined;
    this.schedule(answer.record);
    try {
      await this.options.onRenewed(answer);
    } catch (error) {
      this.options.onFailed(error);
    }
  }
}
