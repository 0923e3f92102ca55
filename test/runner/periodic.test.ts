import { afterEach, describe, expect, test } from "bun:test";
import { Periodic } from "../../src/runner/periodic.ts";
import { ManualClock } from "../support/manual-clock.ts";

const live: Periodic[] = [];
afterEach(async () => {
  for (const p of live.splice(0)) await p.stop();
});

function make(
  clock: ManualClock,
  job: (signal: AbortSignal) => Promise<void>,
  errors: unknown[] = [],
  runAtStart = false,
) {
  const p = new Periodic({ clock, intervalMs: 30_000, job, onError: (e) => errors.push(e), runAtStart });
  live.push(p);
  return p;
}

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe("Periodic", () => {
  test("runs the job once per interval", async () => {
    const clock = new ManualClock();
    let runs = 0;
    make(clock, async () => {
      runs++;
    }).start();
    await clock.advance(29_999);
    expect(runs).toBe(0);
    await clock.advance(1);
    expect(runs).toBe(1);
    await clock.advance(90_000);
    expect(runs).toBe(4);
  });

  test("never runs two jobs at once: ticks during a slow run are skipped", async () => {
    const clock = new ManualClock();
    let active = 0;
    let maxActive = 0;
    let started = 0;
    let g = gate();
    const p = make(clock, async () => {
      started++;
      active++;
      maxActive = Math.max(maxActive, active);
      await g.promise;
      active--;
    });
    p.start();
    await clock.advance(30_000);
    expect(started).toBe(1);
    // Three more ticks while the first run hangs.
    await clock.advance(90_000);
    expect(started).toBe(1);
    expect(p.skippedTicks).toBe(3);
    const first = p.runNow(); // joins the hanging run
    g.open();
    await first;
    expect(p.isRunningJob).toBe(false);
    g = gate();
    g.open();
    await clock.advance(30_000);
    expect(started).toBe(2);
    expect(p.skippedTicks).toBe(3);
    expect(maxActive).toBe(1);
  });

  test("runNow during a run joins it instead of starting another", async () => {
    const clock = new ManualClock();
    let started = 0;
    const g = gate();
    const p = make(clock, async () => {
      started++;
      await g.promise;
    });
    p.start();
    const first = p.runNow();
    const second = p.runNow();
    expect(started).toBe(1);
    g.open();
    await Promise.all([first, second]);
    expect(p.runCount).toBe(1);
  });

  test("a failing job reports to onError and the schedule continues", async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    let runs = 0;
    make(
      clock,
      async () => {
        runs++;
        throw new Error(`fail ${runs}`);
      },
      errors,
    ).start();
    await clock.advance(60_000);
    expect(runs).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(["fail 1", "fail 2"]);
  });

  test("runAtStart runs once immediately", async () => {
    const clock = new ManualClock();
    let runs = 0;
    const p = make(
      clock,
      async () => {
        runs++;
      },
      [],
      true,
    );
    p.start();
    await p.runNow();
    expect(runs).toBe(1);
  });

  test("stop cancels the timer, aborts the running job and waits for it", async () => {
    const clock = new ManualClock();
    let seen: AbortSignal | undefined;
    let finished = false;
    const errors: unknown[] = [];
    const p = make(
      clock,
      (signal) =>
        new Promise<void>((resolve, reject) => {
          seen = signal;
          signal.addEventListener("abort", () => {
            finished = true;
            reject(signal.reason);
          });
          void resolve;
        }),
      errors,
    );
    p.start();
    await clock.advance(30_000);
    expect(p.isRunningJob).toBe(true);
    await p.stop();
    expect(seen?.aborted).toBe(true);
    expect(finished).toBe(true);
    expect(clock.timerCount).toBe(0);
    // The abort it caused is not an error worth reporting.
    expect(errors).toEqual([]);
    await clock.advance(300_000);
    expect(p.runCount).toBe(1);
  });
});
