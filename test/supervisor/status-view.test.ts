// ps rows: the supervisor's view joined with the relay's (needs-input, error with its reason, task, context).
import { describe, expect, test } from "bun:test";
import type { Agent } from "../../src/protocol/index.ts";
import type { SlotInfo } from "../../src/supervisor/runner-slot.ts";
import { agentRows, formatRows } from "../../src/supervisor/status-view.ts";

const slot = (agentId: string, extra: Partial<SlotInfo> = {}): SlotInfo => ({
  agentId,
  provider: "claude",
  state: "running",
  pid: 100,
  startedAt: 1_000,
  restarts: 0,
  ...extra,
});

const agent = (id: string, semanticStatus: string, meta: Record<string, unknown> = {}): Agent => ({
  id,
  instanceId: "i",
  role: "provider",
  componentId: id,
  machine: "m",
  status: semanticStatus === "needs-input" ? "busy" : (semanticStatus as Agent["status"]),
  semanticStatus,
  ready: true,
  capabilities: [],
  tags: [],
  meta,
  connectedAt: 0,
  lastHeartbeatAt: 0,
});

describe("ps rows", () => {
  test("relay status with its reason, task and context; the supervisor's state when not registered", () => {
    const rows = agentRows(
      [
        slot("a"),
        slot("b"),
        slot("c"),
        slot("d", {
          state: "crash-loop",
          pid: undefined,
          startedAt: undefined,
          restarts: 3,
          reason: "crash loop: x",
        }),
      ],
      [
        agent("a", "needs-input", {
          conditionReason: "permission: Bash",
          lastFailure: "an older failure",
          activeWork: [
            { kind: "message", id: "41" },
            { kind: "task", id: "7" },
          ],
        }),
        agent("b", "error", {
          lastFailure: "provider exited 4 times",
          contextUsage: { usedTokens: 1200, maxTokens: 200000 },
        }),
      ],
      61_000,
    );
    expect(rows).toEqual([
      {
        agentId: "a",
        provider: "claude",
        status: "needs-input",
        runner: "running",
        reason: "permission: Bash",
        task: "7",
        contextUsage: undefined,
        pid: 100,
        uptimeMs: 60_000,
        restarts: 0,
      },
      expect.objectContaining({
        agentId: "b",
        status: "error",
        reason: "provider exited 4 times",
        contextUsage: { usedTokens: 1200, maxTokens: 200000 },
      }),
      expect.objectContaining({ agentId: "c", status: "starting", reason: undefined }),
      expect.objectContaining({
        agentId: "d",
        status: "crash-loop",
        reason: "crash loop: x",
        restarts: 3,
        uptimeMs: undefined,
      }),
    ]);
    const table = formatRows(rows).split("\n");
    expect(table[0]).toMatch(
      /^AGENT\s+PROVIDER\s+STATUS\s+PID\s+UPTIME\s+RESTARTS\s+TASK\s+CONTEXT\s+REASON$/,
    );
    expect(table[1]).toMatch(/^a\s+claude\s+needs-input\s+100\s+1m0s\s+0\s+7\s+-\s+permission: Bash$/);
    expect(table[2]).toContain("1200/200000");
  });
});
