// A team profile projected into Codex's own configuration in the agent's private CODEX_HOME: MCP servers as
// [mcp_servers.<name>] tables of config.toml (0600: their env may hold secrets), allow/deny as execpolicy prefix
// rules in rules/team-profile.rules, skills copied into skills/. Instructions travel as developerInstructions.
import { chmod, cp, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RunnerError } from "../../util/errors.ts";
import type { TeamProfileFile } from "../team-profile.ts";

export const PROFILE_RULES_FILE = "team-profile.rules";
/** The relay's own skills (plugins/codex/skills), installed after a profile's: a profile skill may not take a name. */
export const RELAY_CODEX_SKILLS: readonly string[] = [
  "guide",
  "react",
  "read-message",
  "reply",
  "report-task",
];

const toml = (s: string) => JSON.stringify(s);

/** The config.toml tables of the profile's MCP servers (pure). */
export function renderProfileMcpServers(profile: TeamProfileFile | undefined): string[] {
  const lines: string[] = [];
  for (const [name, server] of Object.entries(profile?.mcpServers ?? {})) {
    lines.push(`[mcp_servers.${toml(name)}]`, `command = ${toml(server.command)}`);
    if (server.args) lines.push(`args = [${server.args.map(toml).join(", ")}]`);
    lines.push("");
    const env = Object.entries(server.env ?? {});
    if (env.length > 0) {
      lines.push(`[mcp_servers.${toml(name)}.env]`, ...env.map(([k, v]) => `${toml(k)} = ${toml(v)}`), "");
    }
  }
  return lines;
}

/** Claude Code's tool names: a rule naming one ("Bash", "WebFetch") is a Claude rule, not a command. */
const CLAUDE_TOOLS =
  /^(Bash|Read|Write|Edit|MultiEdit|Glob|Grep|LS|WebFetch|WebSearch|NotebookEdit|Task|TodoWrite)$/;

/** A command prefix ("git push") as the words Codex matches; a Claude-style tool rule has no Codex equivalent. */
export function commandPrefix(rule: string): string[] | undefined {
  if (/[()]/.test(rule) || CLAUDE_TOOLS.test(rule.trim()) || rule.startsWith("mcp__")) return undefined;
  const words = rule.trim().split(/\s+/).filter(Boolean);
  return words.length > 0 ? words : undefined;
}

/** The execpolicy rules file: deny → forbidden, allow → allow (runs without asking), or undefined when none (pure). */
export function renderProfileRules(profile: TeamProfileFile | undefined): string | undefined {
  if (!profile || profile.allow.length + profile.deny.length === 0) return undefined;
  const rule = (r: string, decision: "allow" | "forbidden") => {
    const words = commandPrefix(r);
    if (!words)
      throw new RunnerError("CONFIG_INVALID", `team profile rule '${r}' is not a command prefix (codex)`);
    const why = decision === "forbidden" ? "refused" : "allowed";
    return `prefix_rule(pattern=[${words.map(toml).join(", ")}], decision=${toml(decision)}, justification=${toml(`${why} by the team profile ${profile.name}`)})`;
  };
  return [
    "# Written by agent-relay-runner from the team profile; rewritten on every start.",
    ...profile.deny.map((r) => rule(r, "forbidden")),
    ...profile.allow.map((r) => rule(r, "allow")),
    "",
  ].join("\n");
}

/**
 * Write the rules file (or remove an earlier one) and copy the profile's skills into skills/. Installed skills
 * of an earlier start are cleared first (Codex's own `.system` folder is kept), so a removed skill goes away.
 */
export async function installCodexProfile(
  homeDir: string,
  profile: TeamProfileFile | undefined,
): Promise<void> {
  const rulesDir = join(homeDir, "rules");
  const rulesPath = join(rulesDir, PROFILE_RULES_FILE);
  const rules = renderProfileRules(profile);
  if (rules) {
    await mkdir(rulesDir, { recursive: true, mode: 0o700 });
    await writeFile(rulesPath, rules, { mode: 0o600 });
    await chmod(rulesPath, 0o600);
  } else {
    await rm(rulesPath, { force: true });
  }
  const skillsDir = join(homeDir, "skills");
  await mkdir(skillsDir, { recursive: true, mode: 0o700 });
  for (const entry of await readdir(skillsDir)) {
    if (!entry.startsWith(".")) await rm(join(skillsDir, entry), { recursive: true, force: true });
  }
  for (const skill of profile?.skills ?? []) {
    await cp(skill.src, join(skillsDir, skill.name), { recursive: true }).catch((e) => {
      throw new RunnerError("CONFIG_INVALID", `team profile skill ${skill.src} cannot be copied`, {
        cause: e,
      });
    });
  }
}
