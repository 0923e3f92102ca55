// Writes what an agent's team profile needs on disk just before its runner starts: Claude's projection (its
// MCP config and plugin) and the profile file every claude/codex runner reads (--profile-file). Both live in
// ~/.agent-relay/agents/<id>/team-profile/ (0700); the files that may hold MCP secrets are 0600.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { writeClaudeProjection } from "./claude-projection.ts";
import type { AgentPlan } from "./team-plan.ts";

export function writeAgentProfile(plan: Pick<AgentPlan, "projection" | "profileFile">): void {
  if (plan.projection) writeClaudeProjection(plan.projection);
  const file = plan.profileFile;
  if (!file) return;
  const dir = dirname(file.path);
  if (!plan.projection) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file.path, `${JSON.stringify(file.content, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file.path, 0o600);
}
