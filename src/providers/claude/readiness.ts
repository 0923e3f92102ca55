// The start-up gate: Claude's idle prompt on screen and (when hooks are wired) its SessionStart hook seen.
import { type Clock, sleep } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import type { ClaudeTerminal } from "./terminal.ts";

export interface ReadinessCheck {
  terminal: ClaudeTerminal;
  clock: Clock;
  timeoutMs: number;
  /** Hooks are wired: readiness also needs the SessionStart hook. */
  needHook: boolean;
  sessionStartSeen: () => boolean;
  /** A dialog on screen during start-up (and its end). */
  onDialog: (screen: string | undefined) => void;
}

/** Resolves at the ready prompt; rejects (PROVIDER_SPAWN_FAILED / PROVIDER_NOT_READY) on exit or at the deadline. */
export async function waitForClaudePrompt(c: ReadinessCheck, signal: AbortSignal): Promise<void> {
  const deadline = c.clock.now() + c.timeoutMs;
  let reportedDialog = false;
  for (;;) {
    if (signal.aborted) throw new RunnerError("ABORTED", "spawn aborted", { cause: signal.reason });
    const snap = await c.terminal.snapshot();
    if (snap.exited) {
      throw new RunnerError("PROVIDER_SPAWN_FAILED", `claude exited during start-up:\n${snap.summary}`);
    }
    if (snap.screen === "dialog" || snap.screen === "permission") {
      if (!reportedDialog) {
        reportedDialog = true;
        c.onDialog(snap.summary);
      }
    } else if (snap.screen === "ready" && (c.sessionStartSeen() || !c.needHook)) {
      if (reportedDialog) c.onDialog(undefined);
      return;
    }
    if (c.clock.now() >= deadline) {
      const why = snap.screen === "dialog" ? "a dialog is waiting for input" : `screen is ${snap.screen}`;
      const hook = c.needHook && !c.sessionStartSeen() ? ", no SessionStart hook" : "";
      throw new RunnerError(
        "PROVIDER_NOT_READY",
        `claude not ready in time (${why}${hook}):\n${snap.summary}`,
      );
    }
    await sleep(c.clock, 100, signal);
  }
}
