// Claude Code hook payloads (shapes from the brief's verified samples) become the right ProviderEvents and hook output.
import { describe, expect, test } from "bun:test";
import {
  ClaudeHookPayload,
  permissionAskFromHook,
  toPermissionHookOutput,
  translateClaudeHook,
} from "../../src/control/index.ts";

const SID = "spawn-1";
const base = { session_id: "native-S", cwd: "/work/w22", prompt_id: "P1" };
const parse = (raw: Record<string, unknown>) => ClaudeHookPayload.parse({ ...base, ...raw });
const translate = (raw: Record<string, unknown>, extract?: (p: string) => number[]) =>
  translateClaudeHook(parse(raw), {
    providerSessionId: SID,
    ...(extract ? { extractMessageIds: extract } : {}),
  });

describe("translateClaudeHook", () => {
  test("UserPromptSubmit starts a turn keyed by prompt_id", () => {
    expect(translate({ hook_event_name: "UserPromptSubmit", prompt: "hello" })).toEqual([
      { type: "turn.started", providerSessionId: SID, turnId: "P1" },
    ]);
  });

  test("UserPromptSubmit confirms each relay message id the extractor finds in the prompt, once", () => {
    const extract = (p: string) => [...p.matchAll(/#(\d+)/g)].map((m) => Number(m[1]));
    const events = translate(
      { hook_event_name: "UserPromptSubmit", prompt: "<event>[relay message #42] … #7 … #42</event>" },
      extract,
    );
    expect(events).toEqual([
      { type: "turn.started", providerSessionId: SID, turnId: "P1" },
      { type: "delivery.confirmed", providerSessionId: SID, messageId: 42 },
      { type: "delivery.confirmed", providerSessionId: SID, messageId: 7 },
    ]);
  });

  test("PreToolUse is busy evidence for the same turn", () => {
    expect(
      translate({ hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command: "ls" } }),
    ).toEqual([{ type: "turn.started", providerSessionId: SID, turnId: "P1" }]);
  });

  test("PostToolUse and PostToolUseFailure resolve any pending input", () => {
    for (const name of ["PostToolUse", "PostToolUseFailure"]) {
      expect(translate({ hook_event_name: name, tool_name: "Bash" })).toEqual([
        { type: "input.resolved", providerSessionId: SID },
      ]);
    }
  });

  test("Stop completes the turn", () => {
    expect(
      translate({ hook_event_name: "Stop", stop_hook_active: false, last_assistant_message: "PONG" }),
    ).toEqual([{ type: "turn.completed", providerSessionId: SID, turnId: "P1" }]);
  });

  test("StopFailure fails the turn with the error category and the last message as the reason", () => {
    expect(
      translate({
        hook_event_name: "StopFailure",
        error: "rate_limit",
        last_assistant_message: "API Error: 429 slow down",
      }),
    ).toEqual([
      {
        type: "turn.failed",
        providerSessionId: SID,
        turnId: "P1",
        reason: "rate_limit: API Error: 429 slow down",
      },
    ]);
    expect(translate({ hook_event_name: "StopFailure" })).toEqual([
      { type: "turn.failed", providerSessionId: SID, turnId: "P1", reason: "unknown" },
    ]);
  });

  test("SubagentStart and SubagentStop track the subagent by agent_id with agent_type as label", () => {
    expect(
      translate({ hook_event_name: "SubagentStart", agent_id: "a47a", agent_type: "general-purpose" }),
    ).toEqual([
      { type: "subagent.started", providerSessionId: SID, subagentId: "a47a", label: "general-purpose" },
    ]);
    expect(
      translate({ hook_event_name: "SubagentStop", agent_id: "a47a", agent_type: "general-purpose" }),
    ).toEqual([{ type: "subagent.stopped", providerSessionId: SID, subagentId: "a47a" }]);
  });

  test("a SubagentStop without agent_id (compaction's summariser) yields nothing", () => {
    expect(translate({ hook_event_name: "SubagentStop", agent_type: "" })).toEqual([]);
  });

  test("PreCompact and PostCompact bracket a compaction", () => {
    expect(translate({ hook_event_name: "PreCompact", trigger: "manual" })).toEqual([
      { type: "compaction.started", providerSessionId: SID },
    ]);
    expect(translate({ hook_event_name: "PostCompact", compact_summary: "…" })).toEqual([
      { type: "compaction.completed", providerSessionId: SID },
    ]);
  });

  test("SessionEnd ends the session with Claude's reason", () => {
    expect(translate({ hook_event_name: "SessionEnd", reason: "prompt_input_exit" })).toEqual([
      { type: "session.ended", providerSessionId: SID, reason: "prompt_input_exit" },
    ]);
    expect(translate({ hook_event_name: "SessionEnd" })).toEqual([
      { type: "session.ended", providerSessionId: SID, reason: "unknown" },
    ]);
  });

  test("a permission_prompt Notification means the agent needs input", () => {
    expect(
      translate({
        hook_event_name: "Notification",
        message: "Claude needs your permission",
        notification_type: "permission_prompt",
      }),
    ).toEqual([{ type: "needs-input", providerSessionId: SID, reason: "Claude needs your permission" }]);
  });

  test("an idle_prompt Notification is plain idleness and yields nothing", () => {
    expect(
      translate({
        hook_event_name: "Notification",
        message: "Claude is waiting",
        notification_type: "idle_prompt",
      }),
    ).toEqual([]);
  });

  test("an elicitation_complete Notification resolves the input", () => {
    expect(translate({ hook_event_name: "Notification", notification_type: "elicitation_complete" })).toEqual(
      [{ type: "input.resolved", providerSessionId: SID }],
    );
  });

  test("SessionStart, PermissionRequest and unknown events yield no ProviderEvents here", () => {
    for (const name of ["SessionStart", "PermissionRequest", "MessageDisplay", "SomethingNew"]) {
      expect(translate({ hook_event_name: name, source: "startup" })).toEqual([]);
    }
  });

  test("event-specific fields of the wrong type read as absent instead of failing the payload", () => {
    const payload = parse({ hook_event_name: "SessionEnd", reason: 42, prompt_id: { x: 1 } });
    expect(payload.reason).toBeUndefined();
    expect(translateClaudeHook(payload, { providerSessionId: SID })).toEqual([
      { type: "session.ended", providerSessionId: SID, reason: "unknown" },
    ]);
  });

  test("a payload without session_id or hook_event_name is rejected", () => {
    expect(ClaudeHookPayload.safeParse({ hook_event_name: "Stop" }).success).toBe(false);
    expect(ClaudeHookPayload.safeParse({ session_id: "S" }).success).toBe(false);
  });
});

describe("permission hooks", () => {
  const suggestions = [
    { type: "addDirectories", directories: ["/work/w22"], destination: "session" },
    { type: "setMode", mode: "acceptEdits", destination: "session" },
  ];
  const request = parse({
    hook_event_name: "PermissionRequest",
    tool_name: "Bash",
    tool_input: { command: "touch /work/w22/needs-permission", description: "scripted bash" },
    tool_use_id: "toolu_1",
    permission_suggestions: suggestions,
  });

  test("a PermissionRequest payload becomes a tool, the command as detail, and metadata for the relay", () => {
    expect(permissionAskFromHook(request)).toEqual({
      tool: "Bash",
      detail: "touch /work/w22/needs-permission",
      metadata: {
        nativeSessionId: "native-S",
        toolInput: { command: "touch /work/w22/needs-permission", description: "scripted bash" },
        toolUseId: "toolu_1",
        cwd: "/work/w22",
        permissionSuggestions: suggestions,
      },
    });
  });

  test("a tool without a command-like input is described by its JSON input", () => {
    const ask = permissionAskFromHook(
      parse({ hook_event_name: "PermissionRequest", tool_name: "X", tool_input: { a: 1 } }),
    );
    expect(ask.detail).toBe('{"a":1}');
  });

  test("approve allows the tool", () => {
    expect(toPermissionHookOutput({ approvalId: "a", decision: "approve" }, request)).toEqual({
      hookSpecificOutput: { hookEventName: "PermissionRequest", decision: { behavior: "allow" } },
    });
  });

  test("approve-session allows and applies Claude's own permission suggestions", () => {
    expect(toPermissionHookOutput({ approvalId: "a", decision: "approve-session" }, request)).toEqual({
      hookSpecificOutput: {
        hookEventName: "PermissionRequest",
        decision: { behavior: "allow", updatedPermissions: suggestions },
      },
    });
  });

  test("deny denies with the reason in the message", () => {
    expect(
      toPermissionHookOutput({ approvalId: "a", decision: "deny", reason: "not on main" }, request),
    ).toEqual({
      hookSpecificOutput: {
        hookEventName: "PermissionRequest",
        decision: { behavior: "deny", message: "Denied on the agent relay. Reason: not on main" },
      },
    });
  });

  test("abort denies and interrupts the turn", () => {
    expect(toPermissionHookOutput({ approvalId: "a", decision: "abort" }, request)).toEqual({
      hookSpecificOutput: {
        hookEventName: "PermissionRequest",
        decision: { behavior: "deny", message: "Aborted on the agent relay.", interrupt: true },
      },
    });
  });
});
