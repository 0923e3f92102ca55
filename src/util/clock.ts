// An injectable clock so time-based code (timers, backoff, renewal) can be tested without waiting.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Run `fn` after `ms`; delays above the platform's 2^31-1 ms limit are split transparently. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    let handle: ReturnType<typeof setTimeout> | undefined;
    const due = Date.now() + Math.max(0, ms);
    // Long delays wake early and recompute, because setTimeout overflows past 2^31-1 ms.
    const arm = () => {
      const left = due - Date.now();
      if (left > MAX_TIMER_MS) handle = setTimeout(arm, MAX_TIMER_MS);
      else handle = setTimeout(fn, Math.max(0, left));
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** Resolve after `ms` on `clock`, or reject when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
