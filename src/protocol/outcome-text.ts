// A task outcome as readable lines: the body of the creator's outcome message and the `task show` block.
import type { TaskOutcome } from "./tasks.ts";

/** `partial (time limit) after 4m 10s`, then summary, changes and usage lines when present. */
export function describeOutcome(outcome: TaskOutcome): string {
  const reason = outcome.reason ? ` (${outcome.reason})` : "";
  const lines = [`Outcome: ${outcome.status}${reason} after ${formatDuration(outcome.durationMs)}`];
  if (outcome.summary) lines.push(`Summary: ${outcome.summary}`);
  const c = outcome.changes;
  if (c) {
    lines.push(`Changes: ${c.files} file(s), +${c.insertions} -${c.deletions}, ${c.commits} commit(s)`);
  }
  const u = outcome.usage;
  if (u) {
    const parts = [
      u.inputTokens !== undefined ? `${u.inputTokens} input tokens` : undefined,
      u.outputTokens !== undefined ? `${u.outputTokens} output tokens` : undefined,
      u.costUsd !== undefined ? `$${u.costUsd.toFixed(4)}` : undefined,
    ].filter((p) => p !== undefined);
    if (parts.length > 0) lines.push(`Usage: ${parts.join(", ")}`);
  }
  return lines.join("\n");
}

/** 950 ms → `950ms`, 61 s → `1m 1s`, 2 h 5 min → `2h 5m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}
