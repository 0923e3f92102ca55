// Start-up calls to the relay: retried with backoff while the relay is unreachable, up to the start deadline; a
// refused token fails at once (it will not be accepted on a later try either), and so does a stop signal.
import type { Logger } from "pino";
import { HttpError, RelayUnavailableError } from "../relay-client/errors.ts";
import { Backoff } from "../util/backoff.ts";
import { type Clock, sleep, systemClock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";

/** Why a runner could not start; `refused`: the relay said no to the token (401/403), no retry can help. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly kind: "refused" | "deadline" | "aborted" | "rejected",
  ) {
    super(message);
    this.name = "StartError";
  }
}

export interface StartBudget {
  clock: Clock;
  /** Epoch ms after which start-up gives up. */
  deadline: number;
  /** Aborted by a stop signal during start-up. */
  signal: AbortSignal;
  logger: Logger;
}

/** A budget of `ms` from now on `clock`; `signal` (default: never aborted) ends it early. */
export function startBudget(
  logger: Logger,
  ms: number,
  signal: AbortSignal = new AbortController().signal,
  clock: Clock = systemClock,
): StartBudget {
  return { clock, deadline: clock.now() + ms, signal, logger };
}

/** Whether an error means "try again later": relay down, slow, busy, or failing inside. */
function transient(e: unknown): boolean {
  if (e instanceof RelayUnavailableError) return true;
  return e instanceof HttpError && (e.status >= 500 || e.status === 429 || e.status === 408);
}

/** Run `attempt` until it succeeds; `what` names the call in errors (e.g. "minting the agent's runtime token"). */
export async function retryUntilStarted<T>(
  what: string,
  attempt: (signal: AbortSignal) => Promise<T>,
  b: StartBudget,
): Promise<T> {
  const backoff = new Backoff({ initialMs: 250, maxMs: 5_000, jitter: "equal" });
  for (;;) {
    if (b.signal.aborted) throw new StartError(`${what}: stopped during start-up`, "aborted");
    try {
      return await attempt(b.signal);
    } catch (e) {
      if (b.signal.aborted) throw new StartError(`${what}: stopped during start-up`, "aborted");
      if (e instanceof HttpError && (e.status === 401 || e.status === 403)) {
        throw new StartError(
          `the relay refused the token (${e.status} ${e.code}) while ${what}: check --token-file / AGENT_RELAY_TOKEN`,
          "refused",
        );
      }
      if (!transient(e)) throw new StartError(`${what} failed: ${errorMessage(e)}`, "rejected");
      const left = b.deadline - b.clock.now();
      const delay = backoff.next();
      if (delay >= left) {
        throw new StartError(`${what} failed until the start deadline: ${errorMessage(e)}`, "deadline");
      }
      b.logger.warn({ err: errorMessage(e), retryInMs: Math.round(delay) }, `${what} failed; retrying`);
      await sleep(b.clock, delay, b.signal).catch(() => undefined);
    }
  }
}
