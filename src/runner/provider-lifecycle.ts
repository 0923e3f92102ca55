// The provider supervisor's lifecycle as one tagged union: each phase carries the data only it has.
import type { TimerHandle } from "../util/clock.ts";

/**
 *   idle ─start─▶ spawning ─ready─▶ running ─exit─▶ restart-wait ─timer─▶ spawning …
 *                    │                 │      └────▶ stopped | gave-up   (the restart policy decides)
 *                    └─fails─▶ failed  └─stop/restart─▶ stopping ─▶ stopped | spawning
 */
export type SupervisorPhase =
  | { tag: "idle" }
  | { tag: "spawning"; sessionId: string; abort: AbortController }
  /** `gone` resolves once the spawn's handle did and its `exited` was announced. */
  | { tag: "running"; sessionId: string; spawnedAt: number; gone: Promise<void> }
  /** `sessionId` and `gone` stay while the spawn being stopped has not exited yet (its events still count). */
  | { tag: "stopping"; sessionId?: string; gone?: Promise<void> }
  | { tag: "restart-wait"; timer: TimerHandle }
  | { tag: "stopped" }
  | { tag: "gave-up"; reason: string }
  | { tag: "failed"; reason: string };

export type SupervisorState = SupervisorPhase["tag"];

/** The spawn whose events count now: one spawning, running, or being stopped and not yet exited. */
export function liveSessionId(phase: SupervisorPhase): string | undefined {
  switch (phase.tag) {
    case "spawning":
    case "running":
    case "stopping":
      return phase.sessionId;
    default:
      return undefined;
  }
}

/** The phase `stop()`/`restart()` enter: the spawn being stopped stays known until its exit is announced. */
export function stoppingFrom(phase: SupervisorPhase): Extract<SupervisorPhase, { tag: "stopping" }> {
  if (phase.tag === "running") return { tag: "stopping", sessionId: phase.sessionId, gone: phase.gone };
  if (phase.tag === "spawning") return { tag: "stopping", sessionId: phase.sessionId };
  return { tag: "stopping" };
}
