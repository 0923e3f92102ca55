// One row per supervised agent for `ps`: the supervisor's view (pid, uptime, restarts) joined with the relay's
// (status incl. needs-input and error with its reason, current task, context use).
import type { Agent } from "../protocol/index.ts";
import type { SlotInfo } from "./runner-slot.ts";

export interface AgentRow {
  agentId: string;
  provider: string;
  /** The relay's finer status when the agent is registered; else the supervisor's state (stopped, backoff, …). */
  status: string;
  /** The runner's state as the supervisor sees it. */
  runner: SlotInfo["state"];
  reason?: string;
  task?: string | number;
  contextUsage?: { usedTokens: number; maxTokens?: number };
  pid?: number;
  uptimeMs?: number;
  restarts: number;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** What the relay's row says about a registered agent, read from the meta its runner reports. */
export interface AgentFacts {
  status: string;
  provider?: string;
  reason?: string;
  task?: string | number;
  contextUsage?: { usedTokens: number; maxTokens?: number };
}

export function agentFacts(a: Agent): AgentFacts {
  const meta = a.meta;
  const status = a.semanticStatus || a.status;
  const usage = meta.contextUsage as AgentRow["contextUsage"] | undefined;
  // The runner lists what it works on in meta.activeWork; a task it holds is its current task.
  const work = Array.isArray(meta.activeWork) ? (meta.activeWork as { kind?: unknown; id?: unknown }[]) : [];
  const task = work.find((w) => w.kind === "task")?.id;
  return {
    status,
    provider: str(meta.provider),
    reason:
      status === "error" || status === "needs-input"
        ? (str(meta.conditionReason) ?? str(meta.lastFailure))
        : undefined,
    task: typeof task === "string" || typeof task === "number" ? task : undefined,
    contextUsage: usage && typeof usage.usedTokens === "number" ? usage : undefined,
  };
}

export function agentRows(slots: readonly SlotInfo[], agents: readonly Agent[], now: number): AgentRow[] {
  const byId = new Map(agents.map((a) => [a.id, a]));
  return slots.map((s) => {
    const a = s.state === "running" ? byId.get(s.agentId) : undefined;
    const facts = a ? agentFacts(a) : undefined;
    const status = facts?.status ?? (s.state === "running" ? "starting" : s.state);
    return {
      agentId: s.agentId,
      provider: s.provider,
      status,
      runner: s.state,
      reason: s.reason ?? facts?.reason,
      task: facts?.task,
      contextUsage: facts?.contextUsage,
      pid: s.pid,
      uptimeMs: s.startedAt === undefined ? undefined : Math.max(0, now - s.startedAt),
      restarts: s.restarts,
    };
  });
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return "-";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

export function contextCell(usage: AgentRow["contextUsage"]): string {
  return usage ? `${usage.usedTokens}${usage.maxTokens ? `/${usage.maxTokens}` : ""}` : "-";
}

/** The human table `ps` prints. */
export function formatRows(rows: readonly AgentRow[]): string {
  const head = ["AGENT", "PROVIDER", "STATUS", "PID", "UPTIME", "RESTARTS", "TASK", "CONTEXT", "REASON"];
  const body = rows.map((r) => [
    r.agentId,
    r.provider,
    r.status,
    r.pid === undefined ? "-" : String(r.pid),
    duration(r.uptimeMs),
    String(r.restarts),
    r.task === undefined ? "-" : String(r.task),
    contextCell(r.contextUsage),
    r.reason ?? "",
  ]);
  return formatTable(head, body);
}

/** Columns padded to their widest cell, two spaces apart, no trailing blanks. */
export function formatTable(head: readonly string[], body: readonly string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  return [head, ...body]
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
