// Claude's hooks that get an answer: PermissionRequest (the PermissionBroker's decision) and SessionStart(compact).
// Every other hook reaches the Claude adapter raw, as `hook.received` (providers/claude/hooks.ts interprets them).
import type { PermissionDecision } from "../protocol/index.ts";
import type { ClaudeHookPayload, PermissionAnswer } from "./schemas.ts";

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

/**
 * SessionStart(source=compact)'s answer: Claude adds `additionalContext` to the compacted conversation as context,
 * without a turn (PostCompact has no hookSpecificOutput in 2.1.330, so SessionStart is the hook that can).
 */
export function compactionHookOutput(note: string): {
  hookSpecificOutput: { hookEventName: "SessionStart"; additionalContext: string };
} {
  return { hookSpecificOutput: { hookEventName: "SessionStart", additionalContext: note } };
}
