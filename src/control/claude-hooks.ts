// Translates raw Claude Code hook payloads into provider-neutral ProviderEvents, and permission answers into hook output.
//
// Mapping (see the Claude Code brief §3 for the payloads):
//   UserPromptSubmit        → turn.started (turnId = prompt_id) + delivery.confirmed for relay ids found in the prompt
//   PreToolUse              → turn.started (busy evidence; same turnId, so consumers treat it as idempotent)
//   PostToolUse(/Failure)   → input.resolved (a tool ran, so no dialog is open any more)
//   Stop                    → turn.completed;   StopFailure → turn.failed {reason: error + last message}
//   SubagentStart/Stop      → subagent.started {subagentId: agent_id, label: agent_type} / subagent.stopped
//   PreCompact/PostCompact  → compaction.started / compaction.completed
//   SessionEnd              → session.ended {reason}
//   Notification            → needs-input {reason: message}, except idle_prompt (just idle: nothing) and
//                             auth_success / elicitation_complete / elicitation_response (→ input.resolved)
//   PermissionRequest       → nothing here: the server turns it into a waiting permission request
//   anything else           → nothing (SessionStart, MessageDisplay, … reach adapters as `hook.received`)
import type { PermissionDecision } from "../protocol/index.ts";
import type { ProviderEvent } from "../providers/adapter.ts";
import type { ClaudeHookPayload, PermissionAnswer } from "./schemas.ts";

export interface HookTranslationContext {
  /** The runner's id for this provider spawn (Claude's own session_id changes on /clear). */
  providerSessionId: string;
  /** Relay message ids a submitted prompt shows were delivered (e.g. parsed from monitor lines). */
  extractMessageIds?: (prompt: string) => number[];
}

const RESOLVING_NOTIFICATIONS = new Set(["auth_success", "elicitation_complete", "elicitation_response"]);

export function translateClaudeHook(
  payload: ClaudeHookPayload,
  ctx: HookTranslationContext,
): ProviderEvent[] {
  const providerSessionId = ctx.providerSessionId;
  const turn = payload.prompt_id !== undefined ? { turnId: payload.prompt_id } : {};
  switch (payload.hook_event_name) {
    case "UserPromptSubmit": {
      const events: ProviderEvent[] = [{ type: "turn.started", providerSessionId, ...turn }];
      if (payload.prompt !== undefined && ctx.extractMessageIds) {
        for (const messageId of new Set(ctx.extractMessageIds(payload.prompt))) {
          events.push({ type: "delivery.confirmed", providerSessionId, messageId });
        }
      }
      return events;
    }
    case "PreToolUse":
      return [{ type: "turn.started", providerSessionId, ...turn }];
    case "PostToolUse":
    case "PostToolUseFailure":
      return [{ type: "input.resolved", providerSessionId }];
    case "Stop":
      return [{ type: "turn.completed", providerSessionId, ...turn }];
    case "StopFailure":
      return [{ type: "turn.failed", providerSessionId, ...turn, reason: stopFailureReason(payload) }];
    case "SubagentStart":
      if (!payload.agent_id) return [];
      return [
        {
          type: "subagent.started",
          providerSessionId,
          subagentId: payload.agent_id,
          ...(payload.agent_type ? { label: payload.agent_type } : {}),
        },
      ];
    case "SubagentStop":
      // /compact fires a SubagentStop for its summariser; the runner ignores ids it never saw start.
      if (!payload.agent_id) return [];
      return [{ type: "subagent.stopped", providerSessionId, subagentId: payload.agent_id }];
    case "PreCompact":
      return [{ type: "compaction.started", providerSessionId }];
    case "PostCompact":
      return [{ type: "compaction.completed", providerSessionId }];
    case "SessionEnd":
      return [{ type: "session.ended", providerSessionId, reason: payload.reason ?? "unknown" }];
    case "Notification":
      return notificationEvents(payload, providerSessionId);
    default:
      return [];
  }
}

function stopFailureReason(payload: ClaudeHookPayload): string {
  const category = payload.error ?? "unknown";
  const detail = payload.last_assistant_message?.trim();
  return detail ? `${category}: ${detail.slice(0, 500)}` : category;
}

function notificationEvents(payload: ClaudeHookPayload, providerSessionId: string): ProviderEvent[] {
  const kind = payload.notification_type;
  // idle_prompt fires ~60 s after every turn: the agent is idle, not blocked, and Stop already said so.
  if (kind === "idle_prompt") return [];
  if (kind !== undefined && RESOLVING_NOTIFICATIONS.has(kind))
    return [{ type: "input.resolved", providerSessionId }];
  const reason = payload.message ?? (kind ? `Claude Code notification: ${kind}` : "Claude Code needs input");
  return [{ type: "needs-input", providerSessionId, reason }];
}

/** What a PermissionRequest hook asks, in the provider-neutral shape of `POST /v1/permissions`. */
export function permissionAskFromHook(payload: ClaudeHookPayload): {
  tool: string;
  detail: string;
  metadata: Record<string, unknown>;
} {
  const tool = payload.tool_name || "unknown tool";
  const input = payload.tool_input ?? {};
  const metadata: Record<string, unknown> = { nativeSessionId: payload.session_id, toolInput: input };
  if (payload.tool_use_id) metadata.toolUseId = payload.tool_use_id;
  if (payload.cwd) metadata.cwd = payload.cwd;
  if (payload.permission_suggestions) metadata.permissionSuggestions = payload.permission_suggestions;
  return { tool, detail: describeToolInput(input), metadata };
}

/** The most telling part of a tool call: the command line, the file path, else the input as JSON. */
function describeToolInput(input: Record<string, unknown>): string {
  for (const key of ["command", "file_path", "path", "url", "pattern"]) {
    const v = input[key];
    if (typeof v === "string" && v.length > 0) return v.slice(0, 8_000);
  }
  const json = JSON.stringify(input);
  return json.length > 8_000 ? `${json.slice(0, 7_999)}…` : json;
}

export interface PermissionHookOutput {
  hookSpecificOutput: {
    hookEventName: "PermissionRequest";
    decision:
      | { behavior: "allow"; updatedPermissions?: unknown[] }
      | { behavior: "deny"; message: string; interrupt?: boolean };
  };
}

const DENY_MESSAGES: Record<Exclude<PermissionDecision, "approve" | "approve-session">, string> = {
  deny: "Denied on the agent relay.",
  abort: "Aborted on the agent relay.",
};

/**
 * The JSON a PermissionRequest hook prints for Claude Code. approve-session also applies the permission
 * suggestions Claude offered (what "Yes, and don't ask again" does in the dialog); abort also interrupts the turn.
 */
export function toPermissionHookOutput(
  answer: PermissionAnswer,
  payload: ClaudeHookPayload,
): PermissionHookOutput {
  const hookEventName = "PermissionRequest" as const;
  switch (answer.decision) {
    case "approve":
      return { hookSpecificOutput: { hookEventName, decision: { behavior: "allow" } } };
    case "approve-session": {
      const suggestions = payload.permission_suggestions;
      const decision =
        suggestions && suggestions.length > 0
          ? { behavior: "allow" as const, updatedPermissions: suggestions }
          : { behavior: "allow" as const };
      return { hookSpecificOutput: { hookEventName, decision } };
    }
    case "deny":
    case "abort": {
      const base = DENY_MESSAGES[answer.decision];
      const message = answer.reason ? `${base} Reason: ${answer.reason}` : base;
      const decision =
        answer.decision === "abort"
          ? { behavior: "deny" as const, message, interrupt: true }
          : { behavior: "deny" as const, message };
      return { hookSpecificOutput: { hookEventName, decision } };
    }
  }
}
