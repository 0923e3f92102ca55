// The one table of runner options: parsing (flags and env) and --help are both generated from it, so they cannot drift.
import { ACCESS_OPTIONS } from "./options-access.ts";
import { PROFILE_OPTIONS } from "./options-profile.ts";
import { TASK_OPTIONS } from "./options-tasks.ts";
import { USAGE_OPTIONS } from "./options-usage.ts";
import { APPROVAL_MODES, LOG_LEVELS, MIN_QUIET_MS, PROVIDERS, type RunnerConfig } from "./schema.ts";

/** How raw text becomes a value: a string, an integer, a boolean, or a list (repeatable flag, comma-separated env). */
export type OptionKind = "string" | "int" | "boolean" | "list";

/** A flag and its env twin: the shape every option table shares (the runner's, the relay command's). */
export interface EnvTwinOption {
  /** Long flag, e.g. "--relay-url". Negatable booleans also accept "--no-<name>". */
  flag: string;
  env: string;
  /** Shown after the flag in --help, e.g. "<url>"; none for a boolean. */
  placeholder?: string;
  description: string;
}

export interface OptionSpec extends EnvTwinOption {
  /** The RunnerConfig field this option feeds; its zod rule in RunnerConfigSchema validates the value. */
  key: keyof RunnerConfig;
  kind: OptionKind;
  /** Applied when neither flag nor env is set. */
  defaultValue?: string | boolean;
  /** Help text for defaults computed at parse time (runner id, cwd...). */
  defaultText?: string;
  /** A boolean that defaults to true: "--no-<name>" is the usual spelling. */
  negatable?: boolean;
  /** A secret: refused as a flag value (argv is readable by every local user); env or its file twin only. */
  secret?: { fileKey: keyof RunnerConfig };
}

export const RUNNER_OPTIONS: readonly OptionSpec[] = [
  {
    key: "provider",
    flag: "--provider",
    env: "AGENT_RELAY_PROVIDER",
    kind: "string",
    placeholder: `<${PROVIDERS.join("|")}>`,
    description: "which agent to run (required)",
  },
  {
    key: "relayUrl",
    flag: "--relay-url",
    env: "AGENT_RELAY_URL",
    kind: "string",
    placeholder: "<url[,url…]>",
    description: "relay base URL; several, comma-separated, fail over in order (the first preferred)",
    defaultText: "start the embedded relay in-process",
  },
  ...ACCESS_OPTIONS,
  {
    key: "tokenJti",
    flag: "--token-jti",
    env: "AGENT_RELAY_TOKEN_JTI",
    kind: "string",
    placeholder: "<jti>",
    description: "the runtime token's id",
    defaultText: "read from the token's claims",
  },
  {
    key: "tokenProfile",
    flag: "--token-profile",
    env: "AGENT_RELAY_TOKEN_PROFILE",
    kind: "string",
    placeholder: "<profile>",
    description: "the runtime token's profile; provider-agent and provider-interactive tokens are renewed",
    defaultText: "read from the token's claims",
  },
  {
    key: "tokenExpiresAt",
    flag: "--token-expires-at",
    env: "AGENT_RELAY_TOKEN_EXPIRES_AT",
    kind: "int",
    placeholder: "<epoch-s>",
    description: "when the runtime token expires, in epoch seconds",
    defaultText: "read from the token's claims",
  },
  {
    key: "agentId",
    flag: "--agent-id",
    env: "AGENT_RELAY_AGENT_ID",
    kind: "string",
    placeholder: "<id>",
    description: "agent id on the relay",
    defaultText: "the runner id if given, else <provider>-<cwd name>-<hash of the real cwd path>",
  },
  {
    key: "runnerId",
    flag: "--runner-id",
    env: "AGENT_RELAY_RUNNER_ID",
    kind: "string",
    placeholder: "<id>",
    description: "id of this runner process",
    defaultText: "<provider>-<hostname>-<random6>",
  },
  {
    key: "label",
    flag: "--label",
    env: "AGENT_RELAY_LABEL",
    kind: "string",
    placeholder: "<label>",
    description: "label; messages to label:<label> reach this agent",
  },
  {
    key: "requestedTags",
    flag: "--tag",
    env: "AGENT_RELAY_TAGS",
    kind: "list",
    placeholder: "<tag>",
    description:
      "tag (repeatable; env comma-separated). Tags are the union of these, the provider name, its default tags and headless when headless",
  },
  {
    key: "capabilities",
    flag: "--capability",
    env: "AGENT_RELAY_CAPABILITIES",
    kind: "list",
    placeholder: "<cap>",
    description: "capability (repeatable; env comma-separated; flags and env are combined)",
  },
  {
    key: "cwd",
    flag: "--cwd",
    env: "AGENT_RELAY_CWD",
    kind: "string",
    placeholder: "<dir>",
    description: "working directory of the provider; must exist",
    defaultText: "the current directory",
  },
  {
    key: "workspace",
    flag: "--workspace",
    env: "AGENT_RELAY_WORKSPACE",
    kind: "string",
    placeholder: "<dir>",
    description: "confine the agent: --cwd is then relative to this directory and may not leave it",
  },
  {
    key: "worktree",
    flag: "--worktree",
    env: "AGENT_RELAY_WORKTREE",
    kind: "boolean",
    description:
      "run the agent in its own git worktree of --cwd's repository (branch agents/<agent-id>), leased on the relay (env 1/0)",
    defaultValue: false,
  },
  {
    key: "model",
    flag: "--model",
    env: "AGENT_RELAY_MODEL",
    kind: "string",
    placeholder: "<model>",
    description: "model for the provider",
  },
  {
    key: "modelBaseUrl",
    flag: "--model-base-url",
    env: "AGENT_RELAY_MODEL_BASE_URL",
    kind: "string",
    placeholder: "<url>",
    description:
      "model API endpoint other than the vendor's (a proxy or a local model): ANTHROPIC_BASE_URL for Claude, a custom Responses provider for Codex",
  },
  {
    key: "effort",
    flag: "--effort",
    env: "AGENT_RELAY_EFFORT",
    kind: "string",
    placeholder: "<effort>",
    description: "reasoning effort for the provider",
  },
  {
    key: "approvalMode",
    flag: "--approval-mode",
    env: "AGENT_RELAY_APPROVAL_MODE",
    kind: "string",
    placeholder: `<${APPROVAL_MODES.join("|")}>`,
    description: "how much the provider may do without asking",
    defaultValue: "default",
  },
  {
    key: "headless",
    flag: "--headless",
    env: "AGENT_RELAY_HEADLESS",
    kind: "boolean",
    description: "no person at the terminal: restart on unexpected exit, tag headless (env 1/true/0/false)",
    defaultValue: false,
  },
  {
    key: "detach",
    flag: "--detach",
    env: "AGENT_RELAY_DETACH",
    kind: "boolean",
    description:
      "run in the background, no terminal, output to ~/.agent-relay/logs/<agent>.log; return once the agent is up",
    defaultValue: false,
  },
  {
    key: "prompt",
    flag: "--prompt",
    env: "AGENT_RELAY_PROMPT",
    kind: "string",
    placeholder: "<text>",
    description: "initial prompt delivered once the provider is ready",
  },
  {
    key: "systemPromptAppend",
    flag: "--system-prompt-append",
    env: "AGENT_RELAY_SYSTEM_PROMPT_APPEND",
    kind: "string",
    placeholder: "<text>",
    description: "text appended to the provider's system prompt",
  },
  ...PROFILE_OPTIONS,
  {
    key: "exitOnShutdown",
    flag: "--exit-on-shutdown",
    env: "AGENT_RELAY_EXIT_ON_SHUTDOWN",
    kind: "boolean",
    negatable: true,
    description:
      "with --no-exit-on-shutdown, agent.shutdown/agent.kill stop the provider but the runner stays",
    defaultValue: true,
  },
  {
    key: "logLevel",
    flag: "--log-level",
    env: "AGENT_RELAY_LOG_LEVEL",
    kind: "string",
    placeholder: `<${LOG_LEVELS.join("|")}>`,
    description: "log level",
    defaultValue: "info",
  },
  {
    key: "providerBin",
    flag: "--provider-bin",
    env: "AGENT_RELAY_PROVIDER_BIN",
    kind: "string",
    placeholder: "<path>",
    description: "provider executable",
    defaultText: "claude/codex on PATH, then this package's node_modules/.bin",
  },
  {
    key: "readyPattern",
    flag: "--ready-pattern",
    env: "AGENT_RELAY_READY_PATTERN",
    kind: "string",
    placeholder: "<regex>",
    description: "command provider: the screen matching this regex means idle",
  },
  {
    key: "quietMs",
    flag: "--quiet-ms",
    env: "AGENT_RELAY_QUIET_MS",
    kind: "int",
    placeholder: "<ms>",
    description: `command provider: output quiet this long means idle (integer >= ${MIN_QUIET_MS})`,
    defaultText: "the command provider's default",
  },
  ...TASK_OPTIONS,
  ...USAGE_OPTIONS,
  {
    key: "runnerInfoFile",
    flag: "--runner-info-file",
    env: "AGENT_RELAY_RUNNER_INFO_FILE",
    kind: "string",
    placeholder: "<path>",
    description: "where to write the runner info JSON (mode 0600)",
  },
  {
    key: "broadTargets",
    flag: "--broad-targets",
    env: "AGENT_RELAY_BROAD_TARGETS",
    kind: "boolean",
    negatable: true,
    description: "with --no-broad-targets only direct and label: messages arrive (no broadcast, tag:, cap:)",
    defaultValue: true,
  },
  {
    key: "claudeMonitor",
    flag: "--claude-monitor",
    env: "AGENT_RELAY_CLAUDE_MONITOR",
    kind: "boolean",
    negatable: true,
    description:
      "claude provider: with --no-claude-monitor the relay monitor is never armed and every message is pasted",
    defaultValue: true,
  },
];

/** How the option is written in help and errors: negatable booleans by their "--no-" form. */
export function flagLabel(spec: OptionSpec): string {
  return spec.negatable ? `--no-${spec.flag.slice(2)}` : spec.flag;
}
