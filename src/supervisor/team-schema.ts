// The team file (team.toml) as zod schemas: the source of its types, its value rules and docs/team-file.md.
import { z } from "zod";
import { parseRelayUrlList } from "../config/relay-url-list.ts";
import { APPROVAL_MODES, LOG_LEVELS, PROVIDERS, TASK_COMPLETION_MODES } from "../config/schema.ts";
import { ADDRESS_PART_PATTERN } from "../protocol/index.ts";
import { parseDuration } from "../util/duration.ts";

/** Most agents one team file may declare, replicas included (a supervisor holds every runner on one box). */
export const MAX_TEAM_AGENTS = 100;
/** Most replicas of one agent entry. */
export const MAX_REPLICAS = 50;
export const RESTART_POLICIES = ["on-failure", "always", "never"] as const;

// Agent ids become file names (logs), tmux socket names and relay ids: a conservative subset of the relay's rule.
/** An agent id: 1-64 letters, digits, `.`, `_` or `-`, starting with a letter or digit. */
export const TeamAgentId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "expected 1-64 letters, digits or . _ - (id)" });

const addressPart = (what: string) =>
  z
    .string()
    .regex(ADDRESS_PART_PATTERN, { error: `expected a ${what} of 1-128 letters, digits or . _ @ : / -` });
const text = z.string().min(1, { error: "expected a non-empty string" });
const intBetween = (min: number, max: number) =>
  z
    .number()
    .int({ error: "expected an integer" })
    .min(min, { error: `expected an integer >= ${min}` })
    .max(max, { error: `expected an integer <= ${max}` });
/** Environment variable names; AGENT_RELAY_* belongs to the runner (its options and its token). */
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" })
  .refine((k) => !k.startsWith("AGENT_RELAY_"), {
    error: "AGENT_RELAY_* variables are set by the supervisor; use the matching team-file key",
  });

/** A stdio MCP server for a claude or codex agent; `env` may hold secrets: it is written to 0600 files, never to argv. */
export const McpServer = z.strictObject({
  /** The program (argv[0]). */
  command: text,
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
});

/** The runner options an agent, a profile or [defaults] may set; the keys are the runner's flags in snake_case. */
export const RunnerOptionsShape = {
  /** Which agent to run: claude, codex or command. */
  provider: z.enum(PROVIDERS, { error: `expected one of ${PROVIDERS.join("|")}` }).optional(),
  /** command provider: the program and its arguments (argv, no shell). */
  command: z.array(text).min(1, { error: "expected at least the program" }).optional(),
  /** claude/codex: extra arguments for the provider CLI. */
  args: z.array(z.string()).optional(),
  /** Working directory of the provider; relative paths are relative to the team file. Default: its folder. */
  cwd: text.optional(),
  /** Give the agent its own git worktree of cwd's repository on branch agents/<id>, leased on the relay (--worktree). */
  worktree: z.boolean({ error: "expected true or false" }).optional(),
  /** Model for the provider. */
  model: text.optional(),
  /** Model API endpoint other than the vendor's. */
  model_base_url: z.url({ protocol: /^https?$/, error: "expected an http(s):// URL" }).optional(),
  /** Reasoning effort for the provider. */
  effort: text.optional(),
  /** How much the provider may do without asking. */
  approval_mode: z.enum(APPROVAL_MODES, { error: `expected one of ${APPROVAL_MODES.join("|")}` }).optional(),
  /** Messages to label:<label> reach this agent. */
  label: addressPart("label").optional(),
  /** Messages to tag:<tag> reach this agent (the provider name and `headless` are added). */
  tags: z.array(addressPart("tag")).optional(),
  /** Messages to cap:<capability> reach this agent. */
  capabilities: z.array(addressPart("capability")).optional(),
  /** Text appended to the provider's system prompt. */
  instructions: text.optional(),
  /** A file whose text is appended to the system prompt; relative to the team file. */
  instructions_file: text.optional(),
  /** Initial prompt delivered once the provider is ready. */
  prompt: text.optional(),
  /** Extra environment for the runner and its provider (never on a command line). */
  env: z.record(envName, z.string()).optional(),
  /** command provider: the screen matching this regex means idle. */
  ready_pattern: text.optional(),
  /** command provider: output quiet this long means idle. */
  quiet_ms: z.number().int().min(50, { error: "expected an integer >= 50" }).optional(),
  /** auto: a task is done when its turn ends; explicit: when the agent reports it (task done|partial|fail). */
  task_completion: z
    .enum(TASK_COMPLETION_MODES, { error: `expected one of ${TASK_COMPLETION_MODES.join("|")}` })
    .optional(),
  /** explicit completion: idle this long with the task unreported → a nudge; again → it fails `stalled` (e.g. "10m"). */
  stall_after: z
    .string()
    .refine((s) => parseDuration(s) !== undefined, { error: "expected a duration like 90s, 10m or 2h" })
    .optional(),
  /** Once the agent's cost reaches this many USD it takes no new work and reports needs-input (budget). */
  max_cost_usd: z
    .number({ error: "expected a number of USD" })
    .positive({ error: "expected a number of USD above 0" })
    .optional(),
  /** USD per million input and output tokens, to price a provider that reports no cost (Codex), e.g. "1.25,10". */
  token_price: z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*,\s*\d+(\.\d+)?\s*$/, {
      error: 'expected "<in>,<out>": USD per million tokens, e.g. "1.25,10"',
    })
    .optional(),
  /** The runner's log level (its log: ~/.agent-relay/logs/<agent>.log). */
  log_level: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join("|")}` }).optional(),
  /** claude/codex: skill folders (each holding a SKILL.md) given to the agent; relative to the team file. Layers add up. */
  skills: z.array(text).optional(),
  /** Allowed without asking. claude: permission rules, e.g. "Bash(npm test)"; codex: command prefixes, e.g. "npm test" (they may then run outside the sandbox). Layers add up. */
  allow: z.array(text).optional(),
  /** Refused. claude: permission rules, e.g. "Bash" or "WebFetch"; codex: command prefixes, e.g. "git push" (no per-tool rules). Layers add up. */
  deny: z.array(text).optional(),
  /** claude/codex: MCP servers started for the agent, `[….mcp_servers.<name>]` with command, args, env. Layers merge. */
  mcp_servers: z
    .record(
      z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "expected 1-64 letters, digits, _ or -" }),
      McpServer,
    )
    .optional(),
  /** When the supervisor restarts the runner: on-failure (a non-zero exit or a signal), always, never. */
  restart: z.enum(RESTART_POLICIES, { error: `expected one of ${RESTART_POLICIES.join("|")}` }).optional(),
};

/** `[defaults]`: runner options every agent starts from. */
export const TeamDefaults = z.strictObject({
  ...RunnerOptionsShape,
  /** Name of a [profiles.<name>] table applied to every agent that names none. */
  profile: text.optional(),
});

/** `[profiles.<name>]`: options applied between [defaults] and the agent's own keys. */
export const TeamProfile = z.strictObject({
  ...RunnerOptionsShape,
});

/** `[agents.<id>]`: one agent, or `replicas` identical ones named `<id>-1..n`. */
export const TeamAgent = z.strictObject({
  ...RunnerOptionsShape,
  /** Name of a [profiles.<name>] table. */
  profile: text.optional(),
  /** n identical agents `<id>-1` … `<id>-n` (for claimable work queues). */
  replicas: intBetween(1, MAX_REPLICAS).optional(),
});

/** `[relay]`: where the agents connect. */
export const TeamRelay = z.strictObject({
  /** Relay base URL, or several comma-separated (failover order); absent: the local relay from ~/.agent-relay/relay.json, or the embedded one started here. The token comes from AGENT_RELAY_TOKEN. */
  url: z
    .string()
    .superRefine((s, ctx) => {
      const list = parseRelayUrlList(s);
      if (!list.ok) ctx.addIssue({ code: "custom", message: list.error });
    })
    .optional(),
});

/** `[supervisor]`: who may change the team at run time through supervisor.spawn|stop|restart commands. */
export const TeamSupervisor = z.strictObject({
  /** Agents (by id) that may send supervisor.spawn, and stop or restart the agents spawned at run time; root always may. */
  allow_spawn: z.array(TeamAgentId).max(MAX_TEAM_AGENTS).optional(),
  /** Most agents the supervisor runs, spawned ones included. Default: the team-file limit. */
  max_agents: intBetween(1, MAX_TEAM_AGENTS).optional(),
});

/** The whole file. */
export const TeamFile = z.strictObject({
  relay: TeamRelay.optional(),
  supervisor: TeamSupervisor.optional(),
  defaults: TeamDefaults.optional(),
  /** At least one agent. */
  agents: z.record(TeamAgentId, TeamAgent).refine((a) => Object.keys(a).length > 0, {
    error: "expected at least one [agents.<id>] table",
  }),
  profiles: z.record(TeamAgentId, TeamProfile).optional(),
});

export type TeamFile = z.infer<typeof TeamFile>;
export type TeamAgent = z.infer<typeof TeamAgent>;
export type TeamProfile = z.infer<typeof TeamProfile>;
export type TeamDefaults = z.infer<typeof TeamDefaults>;
export type RestartPolicyName = (typeof RESTART_POLICIES)[number];
