// Prepares the private CODEX_HOME a Codex agent runs with: config.toml, auth, and the relay skills.
import { chmod, copyFile, cp, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { APPROVAL_MODES, type ApprovalMode } from "../../config/schema.ts";
import { RunnerError } from "../../util/errors.ts";
import { PACKAGE_ROOT } from "../../util/package-root.ts";
import type { TeamProfileFile } from "../team-profile.ts";
import { installCodexProfile, renderProfileMcpServers } from "./profile.ts";

// One ApprovalMode for the whole runner: the config's; re-exported for codex's own callers.
export { APPROVAL_MODES, type ApprovalMode };

export type CodexApprovalPolicy = "on-request" | "never";
export type CodexSandboxMode = "read-only" | "workspace-write" | "danger-full-access";

/**
 * How each runner approval mode maps onto Codex. `untrusted` is not used: 0.169 refuses it in config.toml.
 * default: sandboxed, asks before escaping it; auto: sandboxed, never asks (escapes are refused);
 * read-only: nothing may be written without asking; full: no sandbox, nothing is asked.
 */
export const APPROVAL_MODE_SETTINGS: Readonly<
  Record<ApprovalMode, { approvalPolicy: CodexApprovalPolicy; sandboxMode: CodexSandboxMode }>
> = {
  default: { approvalPolicy: "on-request", sandboxMode: "workspace-write" },
  auto: { approvalPolicy: "never", sandboxMode: "workspace-write" },
  "read-only": { approvalPolicy: "on-request", sandboxMode: "read-only" },
  full: { approvalPolicy: "never", sandboxMode: "danger-full-access" },
};

/** A Responses-API endpoint other than OpenAI's default (a proxy, a local server, the test fake). */
export interface CodexModelProvider {
  baseUrl: string;
  /** Name of the env variable whose value Codex sends as the bearer key; the key itself never touches disk. */
  envKey: string;
  /** 0 makes failures surface at once (tests); Codex's own default retries. */
  maxRetries?: number;
}

export interface CodexHomeOptions {
  /** Directory to prepare (created 0700 if missing). */
  homeDir: string;
  cwd: string;
  model: string;
  effort?: string;
  approvalMode: ApprovalMode;
  /** Custom endpoint; without it Codex uses OpenAI with `authJsonFrom` (ChatGPT/API-key login) copied in. */
  provider?: CodexModelProvider;
  /** An existing Codex `auth.json` (e.g. ~/.codex/auth.json) to copy in, mode 0600. */
  authJsonFrom?: string;
  /** Directory whose sub-folders each hold a SKILL.md; copied into $CODEX_HOME/skills. */
  skillsDir?: string;
  /** The team profile (--profile-file): MCP servers, rules and skills projected into this home. */
  profile?: TeamProfileFile;
}

export const DEFAULT_SKILLS_DIR = join(PACKAGE_ROOT, "plugins", "codex", "skills");

// The TUI shows a one-time "try the new model" dialog for these; recording the answer keeps `codex resume` prompt-free.
const KNOWN_MODEL_MIGRATIONS: Record<string, string> = { "gpt-5.5": "gpt-6-sol" };

function tomlString(value: string): string {
  return JSON.stringify(value);
}

/** The config.toml text for these options (pure, so tests can read it without touching disk). */
export function renderCodexConfig(
  options: Omit<CodexHomeOptions, "homeDir" | "skillsDir" | "authJsonFrom">,
): string {
  const mode = APPROVAL_MODE_SETTINGS[options.approvalMode];
  if (!mode)
    throw new RunnerError(
      "CONFIG_INVALID",
      `approval mode must be one of ${APPROVAL_MODES.join(", ")}, got ${options.approvalMode}`,
    );
  const lines = [
    "# Written by agent-relay-runner for this agent; rewritten on every start.",
    `model = ${tomlString(options.model)}`,
    ...(options.effort ? [`model_reasoning_effort = ${tomlString(options.effort)}`] : []),
    `model_provider = ${tomlString(options.provider ? "relay" : "openai")}`,
    `approval_policy = ${tomlString(mode.approvalPolicy)}`,
    `sandbox_mode = ${tomlString(mode.sandboxMode)}`,
    "",
  ];
  if (options.provider) {
    const retries = options.provider.maxRetries;
    lines.push(
      "[model_providers.relay]",
      'name = "agent-relay model provider"',
      `base_url = ${tomlString(options.provider.baseUrl)}`,
      'wire_api = "responses"',
      `env_key = ${tomlString(options.provider.envKey)}`,
      ...(retries === undefined
        ? []
        : [`request_max_retries = ${retries}`, `stream_max_retries = ${retries}`]),
      "",
    );
  }
  // The relay commands the agent runs (msg reply…) must reach the relay, so sandboxed commands keep the network.
  if (mode.sandboxMode === "workspace-write")
    lines.push("[sandbox_workspace_write]", "network_access = true", "");
  // Commands inherit the runner's env (AGENT_RELAY_* included) but never the model key.
  const secretEnv = [
    ...new Set([options.provider?.envKey ?? "OPENAI_API_KEY", "OPENAI_API_KEY", "CODEX_API_KEY"]),
  ];
  lines.push("[shell_environment_policy]", `exclude = [${secretEnv.map(tomlString).join(", ")}]`, "");
  lines.push(
    // A TUI started by `codex` would otherwise leave a managed daemon (and its updater) running after it exits.
    "[features]",
    "daemon_auto_start = false",
    "",
    `[projects.${tomlString(options.cwd)}]`,
    'trust_level = "trusted"',
    "",
    "[tui]",
    "screen_reader_detection_done = true",
    "",
  );
  const migration = KNOWN_MODEL_MIGRATIONS[options.model];
  if (migration)
    lines.push("[notice.model_migrations]", `${tomlString(options.model)} = ${tomlString(migration)}`, "");
  lines.push(...renderProfileMcpServers(options.profile));
  return lines.join("\n");
}

/** Create or refresh CODEX_HOME. Secret-bearing files are 0600, the directory 0700. */
export async function prepareCodexHome(options: CodexHomeOptions): Promise<void> {
  await mkdir(options.homeDir, { recursive: true, mode: 0o700 });
  await chmod(options.homeDir, 0o700);
  const configPath = join(options.homeDir, "config.toml");
  await writeFile(configPath, renderCodexConfig(options), { mode: 0o600 });
  await chmod(configPath, 0o600);
  if (options.authJsonFrom) {
    const authPath = join(options.homeDir, "auth.json");
    try {
      await copyFile(options.authJsonFrom, authPath);
    } catch (e) {
      throw new RunnerError("CONFIG_INVALID", `cannot copy Codex auth from ${options.authJsonFrom}`, {
        cause: e,
      });
    }
    await chmod(authPath, 0o600);
  }
  // The profile's skills first: the relay's own skills win a name clash.
  await installCodexProfile(options.homeDir, options.profile);
  await installSkills(options.skillsDir ?? DEFAULT_SKILLS_DIR, join(options.homeDir, "skills"));
}

/** Copy each skill folder (one holding a SKILL.md) into `target`, replacing older copies of the same skills. */
export async function installSkills(sourceDir: string, target: string): Promise<string[]> {
  const entries = await readdir(sourceDir, { withFileTypes: true }).catch((e) => {
    throw new RunnerError("CONFIG_INVALID", `Codex skills folder ${sourceDir} is not readable`, { cause: e });
  });
  await mkdir(target, { recursive: true, mode: 0o700 });
  const installed: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const from = join(sourceDir, entry.name);
    const hasSkill = await stat(join(from, "SKILL.md")).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!hasSkill) continue;
    const to = join(target, entry.name);
    await rm(to, { recursive: true, force: true });
    await cp(from, to, { recursive: true });
    installed.push(entry.name);
  }
  return installed;
}
