// Wait for a bus client to be welcomed, with the ways out a caller needs: close(), an AbortSignal, a deadline.
import type { Clock } from "../util/clock.ts";
import { RelayClientError } from "./errors.ts";

type State = "idle" | "connecting" | "open" | "reconnecting" | "closed";

interface Watchable {
  readonly transportState: State;
  on(event: "transport", listener: (t: { state: State }) => void): () => void;
}

export interface WaitForOpenOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export function waitForOpen(bus: Watchable, clock: Clock, options: WaitForOpenOptions = {}): Promise<void> {
  if (bus.transportState === "open") return Promise.resolve();
  if (bus.transportState === "closed") return Promise.reject(closed("bus client is closed"));
  if (options.signal?.aborted) return Promise.reject(aborted());
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      off();
      timer?.cancel();
      options.signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve();
    };
    const off = bus.on("transport", ({ state }) => {
      if (state === "open") done();
      else if (state === "closed") done(closed("bus client closed before it was welcomed"));
    });
    const onAbort = () => done(aborted());
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const ms = options.timeoutMs;
    const timer =
      ms === undefined
        ? undefined
        : clock.setTimeout(
            () => done(new RelayClientError("TIMEOUT", `bus not welcomed within ${ms} ms`)),
            ms,
          );
  });
}

const closed = (message: string) => new RelayClientError("BUS_CLOSED", message);
const aborted = () => new RelayClientError("ABORTED", "waiting for the bus was aborted");
