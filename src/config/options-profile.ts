// Options naming who the agent is within a team: its profile (and the file describing what it adds to the
// provider), the tmux session, and what spawned it. Part of the one option table (RUNNER_OPTIONS in options.ts).
import type { OptionSpec } from "./options.ts";

export const PROFILE_OPTIONS: readonly OptionSpec[] = [
  {
    key: "profile",
    flag: "--profile",
    env: "AGENT_RELAY_PROFILE",
    kind: "string",
    placeholder: "<name>",
    description:
      "the team-file profile the agent runs as: only reported in its meta (agents --json); its contents come with --profile-file",
  },
  {
    key: "profileFile",
    flag: "--profile-file",
    env: "AGENT_RELAY_PROFILE_FILE",
    kind: "string",
    placeholder: "<path>",
    description:
      "JSON (0600, written by the supervisor) with the team profile's skills, MCP servers and rules; codex projects it into its CODEX_HOME",
  },
  {
    key: "tmuxSession",
    flag: "--tmux-session",
    env: "AGENT_RELAY_TMUX_SESSION",
    kind: "string",
    placeholder: "<name>",
    description: "tmux session name for the provider",
    defaultText: "agent-<agent id>",
  },
  {
    key: "policyName",
    flag: "--policy-name",
    env: "AGENT_RELAY_POLICY_NAME",
    kind: "string",
    placeholder: "<name>",
    description:
      "the policy that spawned this runner (set by the spawner): only reported in the agent's meta, to say why it exists",
  },
  {
    key: "spawnRequestId",
    flag: "--spawn-request-id",
    env: "AGENT_RELAY_SPAWN_REQUEST_ID",
    kind: "string",
    placeholder: "<id>",
    description:
      "the spawn request this runner answers (set by the spawner): only reported in the agent's meta, to match them up",
  },
];
