// The team profile a runner is handed (--profile-file): a 0600 JSON the supervisor writes with what the profile
// adds to the provider — skill folders, MCP servers (their env may hold secrets), permission rules. Read once at
// start-up; the provider projects it into its own configuration, and status meta shows a summary without secrets.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../config/errors.ts";

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "expected 1-64 letters, digits, _ or -" });

export const ProfileMcpServer = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
});

export const TeamProfileFile = z.strictObject({
  /** The profile's name ([profiles.<name>]). */
  name: z.string().min(1),
  /** Skill folders (each holding a SKILL.md): the name it is installed under and its absolute source. */
  skills: z.array(z.strictObject({ name, src: z.string().min(1) })).max(100),
  mcpServers: z.record(name, ProfileMcpServer),
  allow: z.array(z.string().min(1)).max(1000),
  deny: z.array(z.string().min(1)).max(1000),
});
export type TeamProfileFile = z.infer<typeof TeamProfileFile>;

/** What status meta shows of the applied profile: names and counts, never an MCP server's env. */
export interface ProfileSummary {
  name: string;
  skills: string[];
  mcpServers: string[];
  allow: number;
  deny: number;
  /** Text was appended to the provider's system prompt (--system-prompt-append). */
  instructions: boolean;
}

/** Read and validate the file; a bad one is one line naming it and the first bad field (never its values). */
export function loadTeamProfile(path: string): TeamProfileFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? "not valid JSON";
    throw new ConfigError(`--profile-file ${path}: cannot read it (${why})`, { option: "--profile-file" });
  }
  const parsed = TeamProfileFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.join(".") || "(root)";
    throw new ConfigError(`--profile-file ${path}: ${at}: ${issue?.message}`, { option: "--profile-file" });
  }
  return parsed.data;
}

export function profileSummary(
  profile: TeamProfileFile | undefined,
  name: string | undefined,
  instructions: boolean,
): ProfileSummary | undefined {
  if (!profile && name === undefined) return undefined;
  return {
    name: profile?.name ?? name ?? "",
    skills: profile?.skills.map((s) => s.name) ?? [],
    mcpServers: Object.keys(profile?.mcpServers ?? {}),
    allow: profile?.allow.length ?? 0,
    deny: profile?.deny.length ?? 0,
    instructions,
  };
}
