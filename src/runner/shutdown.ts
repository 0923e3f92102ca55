// Shutdown steps with deadlines: a relay that is down, a bus that never opens or a provider that will not die can
// slow a stop down but never hold it forever. A step that overruns is abandoned (its signal aborted) and logged.
import type { Logger } from "pino";
import type { Clock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";

/** How long each shutdown step may take before the runner goes on without it. */
export const SHUTDOWN_DEADLINES = {
  /** Beyond the provider's own graceful timeout, which the supervisor escalates to a kill. */
  providerStopSlackMs: 5_000,
  /** Each relay-facing step: claim release, final status, deregistration. */
  relayStepMs: 3_000,
  /** Local steps: bus close, control server, HTTP client, info file. */
  localStepMs: 3_000,
} as const;

export type ShutdownStep = (
  what: string,
  ms: number,
  fn: (signal: AbortSignal) => Promise<unknown>,
) => Promise<void>;

/** A step runner: never throws, never waits past `ms`; failures and overruns are logged as warnings. */
export function shutdownStep(clock: Clock, log: Logger): ShutdownStep {
  return async (what, ms, fn) => {
    const ac = new AbortController();
    let timer: { cancel(): void } | undefined;
    const overrun = new Promise<"overrun">((resolve) => {
      timer = clock.setTimeout(() => resolve("overrun"), ms);
    });
    try {
      const outcome = await Promise.race([fn(ac.signal).then(() => "done" as const), overrun]);
      if (outcome === "overrun") {
        ac.abort(new Error(`${what}: shutdown deadline of ${ms} ms passed`));
        log.warn({ deadlineMs: ms }, `${what} did not finish in time during shutdown; going on without it`);
      }
    } catch (e) {
      log.warn({ err: errorMessage(e) }, `${what} failed during shutdown`);
    } finally {
      timer?.cancel();
    }
  };
}
