// From a validated team file to one plan per runner: [defaults] ← [profiles.<name>] ← [agents.<id>], replicas
// expanded, paths resolved against the team file, and the runner's argv and environment built (no secret in argv).
import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { ProviderName } from "../config/index.ts";
import { commandPrefix, RELAY_CODEX_SKILLS } from "../providers/codex/profile.ts";
import type { TeamProfileFile } from "../providers/team-profile.ts";
import { defaultRelayDir } from "../relay/local-info.ts";
import { errorMessage } from "../util/errors.ts";
import { type ClaudeProjection, claudeProjectionArgs, skillName, skillProblem } from "./claude-projection.ts";
import { TeamFileError } from "./team-file.ts";
import {
  MAX_TEAM_AGENTS,
  type RestartPolicyName,
  type TeamAgent,
  type TeamFile,
  type TeamProfile,
} from "./team-schema.ts";

/** What the supervisor needs to run one agent's runner. */
export interface AgentPlan {
  id: string;
  provider: ProviderName;
  restart: RestartPolicyName;
  /** Runner arguments after the bin; never holds a secret (the token travels in the environment). */
  args: string[];
  /** Extra environment for the runner: the agent's `env` and the long texts (instructions, prompt). */
  env: Record<string, string>;
  /** Equal fingerprints mean `up` leaves the running agent alone. */
  fingerprint: string;
  /** claude: the profile's skills, MCP servers and permission rules, written before the runner starts. */
  projection?: ClaudeProjection;
  /** claude/codex: the profile file the runner reads (--profile-file; 0600, MCP env may hold secrets). */
  profileFile?: { path: string; content: TeamProfileFile };
}

export interface TeamPlan {
  /** The team file, absolute. */
  file: string;
  relayUrl?: string;
  agents: AgentPlan[];
  /** Who may spawn agents at run time, and the cap on the team's size. */
  policy: { allowSpawn: string[]; maxAgents: number };
  /** The validated file, to plan agents spawned at run time against its defaults and profiles. */
  team: TeamFile;
}

type Options = Omit<TeamAgent, "replicas" | "profile">;

/** Later layers win; `env` merges; instructions of every layer are appended in order. */
function merge(layers: Options[]): Options & { instructionParts: string[] } {
  const out: Options & { instructionParts: string[] } = { instructionParts: [] };
  for (const layer of layers) {
    const { env, instructions, instructions_file, skills, allow, deny, mcp_servers, ...rest } = layer;
    Object.assign(out, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    if (env) out.env = { ...out.env, ...env };
    // What a profile adds to Claude adds up across layers: [defaults] rules stay when a profile adds more.
    const union = (a: string[] | undefined, b: string[] | undefined) =>
      b ? [...new Set([...(a ?? []), ...b])] : a;
    out.skills = union(out.skills, skills);
    out.allow = union(out.allow, allow);
    out.deny = union(out.deny, deny);
    if (mcp_servers) out.mcp_servers = { ...out.mcp_servers, ...mcp_servers };
    if (instructions) out.instructionParts.push(instructions);
    if (instructions_file) out.instructionParts.push(`file:${instructions_file}`);
  }
  return out;
}

function readInstructions(part: string, base: string, where: string, fileName: string): string {
  if (!part.startsWith("file:")) return part;
  const path = resolve(base, part.slice(5));
  try {
    return readFileSync(path, "utf8").trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? errorMessage(e);
    throw new TeamFileError(`${fileName}: ${where} instructions_file: cannot read ${path} (${code})`);
  }
}

function runnerArgs(
  id: string,
  o: Options,
  cwd: string,
  profile: string | undefined,
  profileFile: string | undefined,
  extra: string[],
): string[] {
  const flag = (name: string, v: string | number | undefined) => (v === undefined ? [] : [name, String(v)]);
  const providerArgv = o.provider === "command" ? (o.command ?? []) : [...(o.args ?? []), ...extra];
  return [
    "--headless",
    ...flag("--provider", o.provider),
    ...flag("--agent-id", id),
    ...flag("--runner-id", id),
    ...flag("--cwd", cwd),
    ...(o.worktree ? ["--worktree"] : []),
    ...flag("--label", o.label),
    ...(o.tags ?? []).flatMap((t) => ["--tag", t]),
    ...(o.capabilities ?? []).flatMap((c) => ["--capability", c]),
    ...flag("--model", o.model),
    ...flag("--model-base-url", o.model_base_url),
    ...flag("--effort", o.effort),
    ...flag("--approval-mode", o.approval_mode),
    ...flag("--profile", profile),
    ...flag("--profile-file", profileFile),
    ...flag("--ready-pattern", o.ready_pattern),
    ...flag("--quiet-ms", o.quiet_ms),
    ...flag("--log-level", o.log_level),
    ...flag("--task-completion", o.task_completion),
    ...flag("--stall-after", o.stall_after),
    ...flag("--max-cost-usd", o.max_cost_usd),
    ...flag("--token-price", o.token_price),
    "--",
    ...providerArgv,
  ];
}

/** Expand and resolve a validated team file; `fileName` is how errors name it, `file` its absolute path. */
export function planTeam(team: TeamFile, file: string, fileName: string = file): TeamPlan {
  const base = dirname(file);
  const agents: AgentPlan[] = [];
  const seen = new Set<string>();
  for (const [name, agent] of Object.entries(team.agents)) {
    const where = `[agents.${name}]`;
    const fail = (key: string, why: string) => new TeamFileError(`${fileName}: ${where} ${key}: ${why}`);
    const profileName = agent.profile ?? team.defaults?.profile;
    let profile: TeamProfile | undefined;
    if (profileName !== undefined) {
      profile = team.profiles?.[profileName];
      if (!profile) throw fail("profile", `no [profiles.${profileName}] table`);
    }
    const { profile: _dp, ...defaults } = team.defaults ?? {};
    const { replicas = 1, profile: _ap, ...own } = agent;
    const o = merge([defaults, profile ?? {}, own]);
    if (!o.provider) throw fail("provider", "required (here, in its profile or in [defaults])");
    if (o.provider === "command" && !o.command) throw fail("command", "required for provider command");
    const cwd = o.cwd === undefined ? base : isAbsolute(o.cwd) ? o.cwd : resolve(base, o.cwd);
    let isDir = false;
    try {
      isDir = statSync(cwd).isDirectory();
    } catch {}
    if (!isDir) throw fail("cwd", `no such directory ${cwd}`);
    const instructions = o.instructionParts
      .map((p) => readInstructions(p, base, where, fileName))
      .filter(Boolean)
      .join("\n\n");
    const env: Record<string, string> = { ...o.env };
    if (instructions) env.AGENT_RELAY_SYSTEM_PROMPT_APPEND = instructions;
    if (o.prompt) env.AGENT_RELAY_PROMPT = o.prompt;
    const projected = (["skills", "allow", "deny", "mcp_servers"] as const).find(
      (k) => o[k] !== undefined && Object.keys(o[k]!).length > 0,
    );
    if (projected && o.provider === "command") {
      throw fail(projected, "applies to providers claude and codex only");
    }
    if (o.provider === "codex") {
      // Codex's rules match command prefixes; it has no rule per tool (Claude's "Bash(…)", "WebFetch").
      for (const key of ["allow", "deny"] as const) {
        const bad = o[key]?.find((r) => !commandPrefix(r));
        if (bad !== undefined)
          throw fail(
            key,
            `'${bad}' is a Claude tool rule; Codex has no per-tool rules, write a command prefix such as "git push"`,
          );
      }
    }
    const skills = (o.skills ?? []).map((p) => (isAbsolute(p) ? p : resolve(base, p)));
    for (const src of skills) {
      const problem = skillProblem(src);
      if (problem) throw fail("skills", problem);
    }
    if (o.provider === "codex") {
      // Codex has one skills folder: a profile skill named like one of the relay's own would be replaced by it.
      const clash = skills.map(skillName).find((n) => RELAY_CODEX_SKILLS.includes(n));
      if (clash) throw fail("skills", `'${clash}' is the name of one of the relay's own Codex skills`);
    }
    const restart = o.restart ?? "on-failure";
    const ids =
      agent.replicas === undefined ? [name] : Array.from({ length: replicas }, (_, i) => `${name}-${i + 1}`);
    for (const id of ids) {
      if (seen.has(id)) throw fail("replicas", `agent id '${id}' is declared twice`);
      seen.add(id);
      const dir = join(defaultRelayDir(), "agents", id, "team-profile");
      const content: TeamProfileFile = {
        name: profileName ?? id,
        skills: skills.map((src) => ({ name: skillName(src), src })),
        mcpServers: o.mcp_servers ?? {},
        allow: o.allow ?? [],
        deny: o.deny ?? [],
      };
      // Every claude/codex agent with a profile gets the file (its meta reports it); Claude's projection is argv.
      const profileFile =
        o.provider !== "command" && (projected || profileName !== undefined)
          ? { path: join(dir, "profile.json"), content }
          : undefined;
      const claudeProjection: ClaudeProjection | undefined =
        projected && o.provider === "claude" ? { dir, profile: content.name, ...content } : undefined;
      const extra = claudeProjection ? claudeProjectionArgs(claudeProjection) : [];
      const args = runnerArgs(id, o, cwd, profileName, profileFile?.path, extra);
      const fingerprint = JSON.stringify({ args, env, restart, profileFile });
      const projection = claudeProjection;
      agents.push({ id, provider: o.provider, restart, args, env, fingerprint, projection, profileFile });
    }
  }
  if (agents.length > MAX_TEAM_AGENTS) {
    throw new TeamFileError(`${fileName}: [agents] ${agents.length} agents; at most ${MAX_TEAM_AGENTS}`);
  }
  const policy = {
    allowSpawn: team.supervisor?.allow_spawn ?? [],
    maxAgents: team.supervisor?.max_agents ?? MAX_TEAM_AGENTS,
  };
  if (agents.length > policy.maxAgents) {
    throw new TeamFileError(`${fileName}: [supervisor] max_agents: ${agents.length} agents declared`);
  }
  return { file, relayUrl: team.relay?.url, agents, policy, team };
}
