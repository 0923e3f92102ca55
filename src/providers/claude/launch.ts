// Builds the argv and environment of one `claude` process for the relay (flags and env verified on 2.1.330).
import type { ApprovalMode } from "../../config/schema.ts";
import { composeRelayInstructions } from "../relay-instructions.ts";
import { shellQuote } from "../tmux/tmux.ts";

/** Claude Code's `--permission-mode` for each runner approval mode. */
export const PERMISSION_MODES: Record<ApprovalMode, string> = {
  // "manual" asks before every risky tool; each ask reaches the relay through the PermissionRequest hook.
  default: "manual",
  // Claude's own classifier approves low-risk tools and blocks the rest (2.1.330's built-in default).
  auto: "auto",
  // Anything not pre-approved is denied without asking; only reading tools and the relay CLI are pre-approved.
  "read-only": "dontAsk",
  full: "bypassPermissions",
};

/** Tools a read-only agent may use without asking. */
const READ_ONLY_TOOLS = ["Read", "Grep", "Glob", "LS", "WebFetch", "WebSearch", "TodoWrite", "Skill"];

/** Telemetry opt-outs that also switch off the feature flag plugin monitors need (brief §4.2). */
export const MONITOR_BLOCKING_ENV = [
  "DISABLE_TELEMETRY",
  "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
  "DO_NOT_TRACK",
  "DISABLE_GROWTHBOOK",
] as const;

export interface ClaudeLaunchOptions {
  /** The claude executable. */
  claudeBin: string;
  /** The relay plugin folder (plugins/claude). */
  pluginDir: string;
  /** The private CLAUDE_CONFIG_DIR (see config-dir.ts). */
  configDir: string;
  /** The user's config dir whose login the session shares (CLAUDE_SECURESTORAGE_CONFIG_DIR; see config-dir.ts). */
  secureStorageDir?: string;
  /** Claude's own session id: a new conversation uses it, a restart resumes it. */
  claudeSessionId: string;
  resume: boolean;
  approvalMode: ApprovalMode;
  model?: string;
  /** The operator's `--system-prompt-append`, added after the relay instructions. */
  systemPromptAppend?: string;
  /** Deliver through the plugin monitor: telemetry stays on (auto-updater off), the flag is seeded. Off: opt-outs, monitor silenced. */
  armMonitor: boolean;
  /** Environment for claude, its hooks and monitor (the runner's AGENT_RELAY_* contract) on top of ours. */
  env: Record<string, string>;
  extraArgs?: string[];
  /** Whether we run as root (`bypassPermissions` then needs IS_SANDBOX=1). */
  isRoot?: boolean;
  /** Bind Claude's cross-session inbox here (`--messaging-socket-path`; folder 0700, ≤ 103 bytes: inbox.ts). */
  inboxSocketPath?: string;
}

export interface ClaudeLaunch {
  /** `claude` and its flags (no secrets in here: argv is world-readable in /proc). */
  argv: string[];
  /** Variables to set (they hold secrets: never put them on argv, never log the values). */
  env: Record<string, string>;
  /** Variables that must be unset even if tmux's own environment has them. */
  unset: string[];
}

/**
 * The `--settings` layer. The relay CLI is NOT pre-approved here: Claude refuses to match rules against a command
 * holding a variable (`"$AGENT_RELAY_BIN" …`), so the plugin's PreToolUse hook approves exactly that shape instead.
 */
export function launchSettings(
  approvalMode: ApprovalMode,
  pluginDir: string,
  inbox = false,
): Record<string, unknown> {
  const allow = approvalMode === "read-only" ? READ_ONLY_TOOLS : [];
  const settings: Record<string, unknown> = {
    permissions: { allow },
    skipDangerousModePermissionPrompt: true,
    // The statusLine command is told the session's running cost after each update: the runner's cost source.
    statusLine: { type: "command", command: shellQuote(`${pluginDir}/hooks/relay-status.sh`) },
  };
  // Unset, Claude holds a sender that asserts no permission mode when it bypasses permissions (approval mode full):
  // a "Held message" dialog instead of the delivery. The socket is the runner's, in a private folder.
  if (inbox) settings.crossSessionInbound = "accept";
  return settings;
}

export function buildClaudeLaunch(o: ClaudeLaunchOptions): ClaudeLaunch {
  const env: Record<string, string> = {
    ...o.env,
    CLAUDE_CONFIG_DIR: o.configDir,
    // Credentials and the OAuth refresh lock in the user's dir: refreshes are serialised, sessions are not.
    ...(o.secureStorageDir ? { CLAUDE_SECURESTORAGE_CONFIG_DIR: o.secureStorageDir } : {}),
    DISABLE_AUTOUPDATER: "1",
    DISABLE_ERROR_REPORTING: "1",
  };
  const unset: string[] = [];
  if (o.armMonitor) unset.push(...MONITOR_BLOCKING_ENV.filter((n) => !(n in o.env)));
  else {
    env.DISABLE_TELEMETRY = "1";
    env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = "1";
    // 2.1.330 starts plugin monitors even with the opt-outs above (unlike 2.1.197), so the monitor itself is told
    // to stay silent and never connect: delivery then always takes the paste path.
    env.AGENT_RELAY_MONITOR = "off";
  }
  if (o.approvalMode === "full" && o.isRoot) env.IS_SANDBOX = "1";

  const args = [
    "--plugin-dir",
    o.pluginDir,
    "--append-system-prompt",
    composeRelayInstructions(o.systemPromptAppend),
    "--permission-mode",
    PERMISSION_MODES[o.approvalMode],
    "--settings",
    JSON.stringify(launchSettings(o.approvalMode, o.pluginDir, o.inboxSocketPath !== undefined)),
  ];
  if (o.inboxSocketPath) args.push("--messaging-socket-path", o.inboxSocketPath);
  if (o.model) args.push("--model", o.model);
  args.push(o.resume ? "--resume" : "--session-id", o.claudeSessionId);
  args.push(...(o.extraArgs ?? []));

  return { argv: [o.claudeBin, ...args], env, unset };
}

/**
 * The command tmux runs. The environment travels through tmux (never argv); variables that would disable the
 * monitor are unset by a tiny shell that then execs claude, so the pane pid is claude's own pid.
 */
export function launcherArgv(launch: ClaudeLaunch): string[] {
  if (launch.unset.length === 0) return launch.argv;
  return ["/bin/sh", "-c", `unset ${launch.unset.join(" ")}; exec "$@"`, "claude", ...launch.argv];
}
