// Claude Code hook payloads interpreted in one place: a pure reducer from hook to state and provider events.
//
// Mapping (payload shapes: the Claude Code brief §3):
//   SessionStart            → session.changed when Claude's session id moved (/clear); readiness gate opens. With
//                             source `compact` the control server answers it with the runner's compaction note
//                             (additionalContext: runner/compaction-note.ts)
//   UserPromptSubmit        → turn.started (turnId = prompt_id); its prompt goes to the delivery confirmer
//   PreToolUse              → turn.started (busy evidence; same turnId, so consumers treat it as idempotent)
//   PermissionRequest       → nothing here (the control server's PermissionBroker asks the relay); dialog open
//   PostToolUse(/Failure)   → input.resolved (a tool ran, so no dialog is open any more)
//   Stop                    → turn.completed;   StopFailure → turn.failed {reason: error + last message}
//   SubagentStart/Stop      → subagent.started {subagentId: agent_id, label: agent_type} / subagent.stopped
//   PreCompact/PostCompact  → compaction.started / compaction.completed
//   SessionEnd              → session.ended {reason}
//   Notification            → needs-input {reason: message}, except idle_prompt (just idle: nothing) and
//                             auth_success / elicitation_complete / elicitation_response (→ input.resolved)
import type { ClaudeHookPayload } from "../../control/schemas.ts";
import type { Clock } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import type { AdapterEventBody } from "../adapter.ts";

/**
 * Where a spawn's Claude is, per its hooks: `launching` until SessionStart, then `idle`, `busy` (a turn runs) or
 * `asking` (a permission dialog is open inside a turn: no key may reach the pane).
 */
export type TurnState = "launching" | "idle" | "busy" | "asking";

/** What outlives a spawn: the conversation a restart resumes. */
export interface Conversation {
  /** Claude's own session id: kept across restarts for --resume, replaced by /clear. */
  claudeSessionId?: string;
  transcriptPath?: string;
  model?: string;
}

export interface HookState {
  conversation: Conversation;
  turn: TurnState;
}

export interface HookOutcome {
  state: HookState;
  events: AdapterEventBody[];
  /** Text the model was given (a submitted prompt): the delivery confirmer looks for relay ids in it. */
  seen?: string;
}

const RESOLVING_NOTIFICATIONS = new Set(["auth_success", "elicitation_complete", "elicitation_response"]);

/** One hook payload applied to the state: the next state and the events it means. Pure. */
export function applyHook(state: HookState, p: ClaudeHookPayload): HookOutcome {
  const conversation = {
    ...state.conversation,
    ...(p.transcript_path ? { transcriptPath: p.transcript_path } : {}),
  };
  const next = (turn: TurnState, events: AdapterEventBody[] = [], seen?: string): HookOutcome => ({
    state: { conversation, turn },
    events,
    ...(seen !== undefined ? { seen } : {}),
  });
  const turnId = p.prompt_id !== undefined ? { turnId: p.prompt_id } : {};
  const working: TurnState = state.turn === "asking" ? "asking" : "busy";
  switch (p.hook_event_name) {
    case "SessionStart": {
      // /clear starts a new Claude session: the runner saves it so a restart resumes the right one.
      const moved = conversation.claudeSessionId !== p.session_id;
      conversation.claudeSessionId = p.session_id;
      if (p.model) conversation.model = p.model;
      const events: AdapterEventBody[] = moved
        ? [{ type: "session.changed", nativeSessionId: p.session_id }]
        : [];
      return next(state.turn === "launching" ? "idle" : state.turn, events);
    }
    case "UserPromptSubmit":
      return next(working, [{ type: "turn.started", ...turnId }], p.prompt);
    case "PreToolUse":
      return next(working, [{ type: "turn.started", ...turnId }]);
    case "PermissionRequest":
      return next("asking");
    case "PostToolUse":
    case "PostToolUseFailure":
      return next(state.turn === "asking" ? "busy" : state.turn, [{ type: "input.resolved" }]);
    case "Stop":
      return next("idle", [{ type: "turn.completed", ...turnId }]);
    case "StopFailure":
      return next("idle", [{ type: "turn.failed", ...turnId, reason: stopFailureReason(p) }]);
    case "SubagentStart":
      if (!p.agent_id) return next(state.turn);
      return next(state.turn, [
        {
          type: "subagent.started",
          subagentId: p.agent_id,
          ...(p.agent_type ? { label: p.agent_type } : {}),
        },
      ]);
    case "SubagentStop":
      // /compact fires a SubagentStop for its summariser; the runner ignores ids it never saw start.
      if (!p.agent_id) return next(state.turn);
      return next(state.turn, [{ type: "subagent.stopped", subagentId: p.agent_id }]);
    case "PreCompact":
      return next(state.turn, [{ type: "compaction.started" }]);
    case "PostCompact":
      return next(state.turn, [{ type: "compaction.completed" }]);
    case "SessionEnd":
      return next(state.turn, [{ type: "session.ended", reason: p.reason ?? "unknown" }]);
    case "Notification":
      return next(state.turn, notificationEvents(p));
    default:
      return next(state.turn);
  }
}

function stopFailureReason(p: ClaudeHookPayload): string {
  const category = p.error ?? "unknown";
  const detail = p.last_assistant_message?.trim();
  return detail ? `${category}: ${detail.slice(0, 500)}` : category;
}

function notificationEvents(p: ClaudeHookPayload): AdapterEventBody[] {
  const kind = p.notification_type;
  // idle_prompt fires ~60 s after every turn: the agent is idle, not blocked, and Stop already said so.
  if (kind === "idle_prompt") return [];
  if (kind !== undefined && RESOLVING_NOTIFICATIONS.has(kind)) return [{ type: "input.resolved" }];
  const reason = p.message ?? (kind ? `Claude Code notification: ${kind}` : "Claude Code needs input");
  return [{ type: "needs-input", reason }];
}

/** Waits for a hook that says a command finished (PostCompact, SessionStart after /clear), with a deadline. */
export class HookWaiters {
  private readonly waiters = new Set<(p: ClaudeHookPayload) => void>();

  constructor(private readonly clock: Clock) {}

  /** Every hook of the current spawn passes through here after the reducer. */
  notify(p: ClaudeHookPayload): void {
    for (const w of [...this.waiters]) w(p);
  }

  /** Resolves at the first hook `match` accepts; rejects (TIMEOUT) after `timeoutMs`, or (ABORTED) on abort. */
  waitFor(match: (p: ClaudeHookPayload) => boolean, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error?: RunnerError) => {
        timer.cancel();
        this.waiters.delete(waiter);
        signal.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve();
      };
      const timer = this.clock.setTimeout(
        () => finish(new RunnerError("TIMEOUT", `no confirming hook within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const waiter = (p: ClaudeHookPayload) => {
        if (match(p)) finish();
      };
      const onAbort = () => finish(new RunnerError("ABORTED", "aborted", { cause: signal.reason }));
      this.waiters.add(waiter);
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
