// Approval requests from Codex → relay permission requests, and relay decisions → Codex decisions.
import { describe, expect, test } from "bun:test";
import { ApprovalTracker, DECISION_TO_CODEX } from "../../../src/providers/codex/approvals.ts";

const command = (params: Record<string, unknown>) => ({
  id: 3,
  method: "item/commandExecution/requestApproval",
  params: { threadId: "t", turnId: "u", itemId: "call_1", ...params },
});

describe("ApprovalTracker", () => {
  test("relay decisions map onto Codex decisions", () => {
    expect(DECISION_TO_CODEX).toEqual({
      approve: "accept",
      "approve-session": "acceptForSession",
      deny: "decline",
      abort: "cancel",
    });
  });

  test("a command approval carries the command and is keyed by item id", () => {
    const parsed = new ApprovalTracker().parse(
      command({ command: "/bin/bash -lc 'rm x'", cwd: "/w", reason: "outside" }),
    );
    expect(parsed).toMatchObject({
      kind: "request",
      threadId: "t",
      request: {
        approvalId: "call_1",
        tool: "exec_command",
        detail: "/bin/bash -lc 'rm x'",
        metadata: { reason: "outside" },
      },
    });
  });

  test("a sub-command callback id keeps several approvals of one item apart", () => {
    const parsed = new ApprovalTracker().parse(command({ approvalId: "cb-9", command: "ls" }));
    expect(parsed.kind === "request" && parsed.request.approvalId).toBe("call_1:cb-9");
  });

  test("a file change approval takes its diff from the item seen earlier with the same id", () => {
    const tracker = new ApprovalTracker();
    tracker.noteItem({ type: "fileChange", id: "call_2", changes: [{ path: "/w/a.txt", diff: "+hello\n" }] });
    const parsed = tracker.parse({
      id: 4,
      method: "item/fileChange/requestApproval",
      params: { threadId: "t", turnId: "u", itemId: "call_2" },
    });
    expect(parsed.kind === "request" && parsed.request).toMatchObject({
      approvalId: "call_2",
      tool: "apply_patch",
      detail: "--- /w/a.txt\n+hello\n",
    });
  });

  test("malformed approval params are reported invalid, other methods are not approvals", () => {
    const tracker = new ApprovalTracker();
    expect(
      tracker.parse({ id: 1, method: "item/fileChange/requestApproval", params: { itemId: 5 } }).kind,
    ).toBe("invalid");
    expect(tracker.parse({ id: 1, method: "item/tool/requestUserInput", params: {} }).kind).toBe(
      "not-an-approval",
    );
  });

  test("an approval is answered once: take returns the request id, then nothing", () => {
    const tracker = new ApprovalTracker();
    tracker.add("call_1", 3, "u");
    expect(tracker.take("call_1")).toBe(3);
    expect(tracker.take("call_1")).toBeUndefined();
  });

  test("serverRequest/resolved and turn ends close approvals answered elsewhere", () => {
    const tracker = new ApprovalTracker();
    tracker.add("a", 1, "turn-1");
    tracker.add("b", 2, "turn-1");
    tracker.add("c", 3, "turn-2");
    expect(tracker.resolvedByRpcId(1)).toBe("a");
    expect(tracker.resolvedByRpcId(1)).toBeUndefined();
    expect(tracker.drainTurn("turn-1")).toEqual(["b"]);
    expect(tracker.size).toBe(1);
  });
});
