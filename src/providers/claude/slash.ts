// Slash commands (/compact, /clear, /exit) run at an idle prompt until the hook that says they finished; notes and prompts.
import type { ClaudeHookPayload } from "../../control/schemas.ts";
import type { Clock } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import type { Logger } from "../../util/logger.ts";
import { type PasteTarget, paste } from "./deliver.ts";
import type { HookWaiters } from "./hooks.ts";

/** Claude's answer to /compact on a conversation too short to compact (2.1.330). */
const NOTHING_TO_COMPACT = /Not enough messages to compact/;

export interface SlashCommand {
  text: string;
  /** The hook that says the command finished. */
  done: (p: ClaudeHookPayload) => boolean;
  timeoutMs: number;
  /** Claude's on-screen answer when the command had nothing to do (a no-op success). */
  noOpScreen?: RegExp;
}

/** `/compact`: done at PostCompact, or at once when Claude says there is nothing to compact. */
export const COMPACT: SlashCommand = {
  text: "/compact",
  done: (p) => p.hook_event_name === "PostCompact",
  timeoutMs: 120_000,
  noOpScreen: NOTHING_TO_COMPACT,
};

/** `/clear`: done when the new Claude session starts. */
export const CLEAR: SlashCommand = {
  text: "/clear",
  done: (p) => p.hook_event_name === "SessionStart" && p.source === "clear",
  timeoutMs: 30_000,
};

/** Context handed to the model as a note it should not answer (agent.injectContext). */
export function injectedNote(content: string): string {
  return `[system note from the agent-relay runner: context, not a message to answer]\n${content}`;
}

export interface SlashDeps {
  hooks: HookWaiters;
  dialogWaitMs: number;
  log: Logger;
}

/** Run a slash command at an idle prompt and wait for the hook (or the no-op screen) that says it finished. */
export async function runSlashCommand(
  target: PasteTarget,
  cmd: SlashCommand,
  d: SlashDeps,
  signal: AbortSignal,
): Promise<void> {
  const { terminal } = target;
  const local = new AbortController();
  const both = AbortSignal.any([signal, local.signal]);
  const finished = d.hooks.waitFor(cmd.done, cmd.timeoutMs, both);
  finished.catch(() => {});
  try {
    await terminal.waitForIdle(cmd.timeoutMs, target.asking, signal);
    const seenBefore = cmd.noOpScreen ? await terminal.countOnScreen(cmd.noOpScreen) : 0;
    await paste(target, cmd.text, d.dialogWaitMs, signal);
    if (!cmd.noOpScreen) return await finished;
    const noOp = terminal
      .waitForScreen(cmd.noOpScreen, seenBefore, cmd.timeoutMs, both)
      .then(() => "no-op" as const);
    noOp.catch(() => {});
    if ((await Promise.race([finished.then(() => "done" as const), noOp])) === "no-op") {
      d.log.info({ command: cmd.text }, "claude had nothing to do for this command");
    }
  } finally {
    local.abort();
  }
}

/** `/exit` at an idle prompt, then wait for the process; false when that did not finish within `timeoutMs`. */
export async function exitGracefully(
  target: PasteTarget,
  timeoutMs: number,
  clock: Clock,
  log: Logger,
): Promise<boolean> {
  const abort = new AbortController();
  const timer = clock.setTimeout(
    () => abort.abort(new RunnerError("TIMEOUT", `claude did not exit within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    await target.terminal.waitForNoDialog(Math.min(timeoutMs, 2_000), target.asking, abort.signal);
    await target.terminal.submit("/exit", target.asking, abort.signal);
    await target.terminal.waitForExit(timeoutMs, abort.signal);
    return true;
  } catch (e) {
    log.info({ err: e }, "graceful claude exit did not finish; killing");
    return false;
  } finally {
    timer.cancel();
  }
}
