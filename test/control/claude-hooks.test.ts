// Claude's PermissionRequest hook on the control server: the ask it becomes and the answer it prints.
import { describe, expect, test } from "bun:test";
import { ClaudeHookPayload, permissionAskFromHook, toPermissionHookOutput } from "../../src/control/index.ts";

const base = { session_id: "native-S", cwd: "/work/w22", prompt_id: "P1" };
const parse = (raw: Record<string, unknown>) => ClaudeHookPayload.parse({ ...base, ...raw });

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
