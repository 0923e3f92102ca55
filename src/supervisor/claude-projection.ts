// A team profile projected into Claude Code's own configuration: MCP servers in a 0600 --mcp-config file, skills
// in a private plugin (--plugin-dir), permission rules as --allowedTools / --disallowedTools. Planned when the team
// file is read (pure), written just before the runner starts.
import { cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { z } from "zod";
import type { McpServer } from "./team-schema.ts";

export interface ClaudeProjection {
  /** Private folder (0700) holding what is generated for this agent. */
  dir: string;
  /** The profile's name, for the plugin's name. */
  profile: string;
  mcpServers: Record<string, z.infer<typeof McpServer>>;
  /** Skill folders to copy: name (folder name) and absolute source. */
  skills: { name: string; src: string }[];
  allow: string[];
  deny: string[];
}

/** Claude's flags for the projection (appended to the provider arguments); no secret is in them. */
export function claudeProjectionArgs(p: ClaudeProjection): string[] {
  const args: string[] = [];
  if (Object.keys(p.mcpServers).length > 0) args.push("--mcp-config", join(p.dir, "mcp.json"));
  if (p.skills.length > 0) args.push("--plugin-dir", join(p.dir, "plugin"));
  if (p.allow.length > 0) args.push("--allowedTools", p.allow.join(","));
  if (p.deny.length > 0) args.push("--disallowedTools", p.deny.join(","));
  return args;
}

/** Why a skill folder cannot be used, or undefined when it holds a SKILL.md. */
export function skillProblem(src: string): string | undefined {
  try {
    if (!statSync(src).isDirectory()) return `${src} is not a folder`;
  } catch {
    return `no such folder ${src}`;
  }
  return existsSync(join(src, "SKILL.md")) ? undefined : `no SKILL.md in ${src}`;
}

export function skillName(src: string): string {
  return basename(src).replace(/[^A-Za-z0-9_-]/g, "-");
}

/** Write the projection's files (replacing an earlier run's): mcp.json 0600, the plugin with copies of the skills. */
export function writeClaudeProjection(p: ClaudeProjection): void {
  rmSync(p.dir, { recursive: true, force: true });
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  if (Object.keys(p.mcpServers).length > 0) {
    writeFileSync(join(p.dir, "mcp.json"), `${JSON.stringify({ mcpServers: p.mcpServers }, null, 2)}\n`, {
      mode: 0o600,
    });
  }
  if (p.skills.length > 0) {
    const plugin = join(p.dir, "plugin");
    mkdirSync(join(plugin, ".claude-plugin"), { recursive: true, mode: 0o700 });
    const manifest = {
      name: `team-profile-${p.profile.replace(/[^A-Za-z0-9-]/g, "-")}`,
      description: `Skills of the team profile ${p.profile}`,
      version: "1.0.0",
    };
    writeFileSync(join(plugin, ".claude-plugin", "plugin.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const s of p.skills) cpSync(s.src, join(plugin, "skills", s.name), { recursive: true });
  }
}
