// Stop signals of the runner process: the first SIGINT, SIGTERM or SIGHUP (the terminal closed) asks for a graceful
// stop, at any point, start-up included; a second one exits at once, whatever the stop is still waiting for.
import { constants } from "node:os";

export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export function onStopSignals(
  stop: (signal: StopSignal) => void,
  say: (line: string) => void,
  /** Last words before exiting at once (must be synchronous). */
  beforeForcedExit: () => void = () => {},
  exit: (code: number) => never = (code) => process.exit(code),
): void {
  let first: StopSignal | undefined;
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (first === undefined) {
        first = signal;
        stop(signal);
        return;
      }
      say(`${signal} during shutdown: exiting now`);
      try {
        beforeForcedExit();
      } finally {
        exit(128 + constants.signals[signal]);
      }
    });
  }
}
