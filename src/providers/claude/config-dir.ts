// Prepares a private CLAUDE_CONFIG_DIR for one agent so Claude Code starts unattended: no first-run dialog can appear.
//
// Keys (verified against Claude Code 2.1.330, see shared/briefs/claude-code.md §6):
// - `.claude.json` `hasCompletedOnboarding` skips the theme picker and security notes;
// - `projects[<dir>].hasTrustDialogAccepted` skips folder trust (a trusted parent covers its subfolders);
// - `customApiKeyResponses.approved` holds the last 20 characters of an `ANTHROPIC_API_KEY` (the dialog's default
//   answer REJECTS the key, so it must never be shown);
// - `settings.json` `skipDangerousModePermissionPrompt` skips the bypass-permissions warning (default "No, exit");
// - `settings.json` `disableDeepLinkRegistration: "disable"` keeps Claude from writing a URL-handler .desktop file
//   into the person's HOME;
// - `cachedGrowthBookFeatures.tengu_amber_sentinel` seeds the flag that arms plugin monitors (only honoured when
//   no telemetry opt-out is set — see launch.ts).
//
// The user's own login (real runs): on Linux Claude keeps it in `~/.claude/.credentials.json`; we link that file
// into the private dir and copy `oauthAccount` so the session is signed in as the user. On macOS the login is in
// the Keychain under a name derived from the config dir, so pass `CLAUDE_CODE_OAUTH_TOKEN` (from
// `claude setup-token`) or `ANTHROPIC_API_KEY` in the environment instead.
import { existsSync, realpathSync } from "node:fs";
import { chmod, lstat, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { RunnerError } from "../../util/errors.ts";

export interface ClaudeConfigDirOptions {
  /** The private config dir (created mode 0700). */
  dir: string;
  /** Folders Claude may work in without the trust dialog (the session cwd at least). */
  trustedDirs: string[];
  /** The API key Claude will use via ANTHROPIC_API_KEY, approved ahead so its dialog never appears. */
  apiKey?: string;
  /** Seed the feature flag that lets the relay monitor run. */
  armMonitor: boolean;
  /** The user's own config dir to take the login from (default `$CLAUDE_CONFIG_DIR` or `~/.claude`); null: none. */
  userConfigDir?: string | null;
}

export interface PreparedConfigDir {
  dir: string;
  /** Where Claude writes its per-process state, `sessions/<pid>.json`. */
  sessionsDir: string;
  /** Whether the user's login was linked in. */
  userLogin: boolean;
}

type Json = Record<string, unknown>;

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

async function readJson(path: string): Promise<Json | undefined> {
  try {
    const v = JSON.parse(await readFile(path, "utf8"));
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
}

async function writeSecretJson(path: string, value: Json): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode only applies on creation; an existing file keeps its old mode otherwise.
  await chmod(path, 0o600);
}

/** The user's config dir and its `.claude.json` (which lives beside `~/.claude`, or inside a custom config dir). */
function userConfigPaths(userDir: string): { credentials: string; configFile: string } {
  const home = join(homedir(), ".claude");
  const configFile =
    resolve(userDir) === resolve(home) ? join(homedir(), ".claude.json") : join(userDir, ".claude.json");
  return { credentials: join(userDir, ".credentials.json"), configFile };
}

/** Link the user's Linux credentials file and copy their account record; false when there is nothing to link. */
async function linkUserLogin(dir: string, userDir: string, config: Json): Promise<boolean> {
  const { credentials, configFile } = userConfigPaths(userDir);
  if (!existsSync(credentials)) return false;
  const target = join(dir, ".credentials.json");
  // A link (not a copy) so a token refresh by either side is seen by both.
  await lstat(target).then(
    () => rm(target),
    () => undefined,
  );
  await symlink(credentials, target);
  const user = await readJson(configFile);
  if (user?.oauthAccount) config.oauthAccount = user.oauthAccount;
  if (user?.userID) config.userID = user.userID;
  return true;
}

/** Create or update the private config dir; keeps what Claude itself wrote there (sessions, transcripts). */
export async function prepareClaudeConfigDir(options: ClaudeConfigDirOptions): Promise<PreparedConfigDir> {
  const { dir } = options;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const configPath = join(dir, ".claude.json");
    const config: Json = (await readJson(configPath)) ?? {};
    config.hasCompletedOnboarding = true;
    const projects = (config.projects && typeof config.projects === "object" ? config.projects : {}) as Json;
    // Claude keys trust by the real path; a cwd reached through a symlink needs both spellings.
    const keys = new Set(options.trustedDirs.flatMap((d) => [resolve(d), realpathOr(d)]));
    for (const key of keys) {
      projects[key] = { ...((projects[key] as Json | undefined) ?? {}), hasTrustDialogAccepted: true };
    }
    config.projects = projects;
    if (options.apiKey) {
      const approved = new Set<string>(
        ((config.customApiKeyResponses as Json | undefined)?.approved as string[]) ?? [],
      );
      approved.add(options.apiKey.slice(-20));
      config.customApiKeyResponses = { approved: [...approved], rejected: [] };
    }
    const features = (config.cachedGrowthBookFeatures ?? {}) as Json;
    features.tengu_amber_sentinel = options.armMonitor;
    config.cachedGrowthBookFeatures = features;
    const userDir =
      options.userConfigDir === undefined
        ? (process.env.CLAUDE_CONFIG_DIR ?? join(homedir(), ".claude"))
        : options.userConfigDir;
    const userLogin =
      userDir !== null && resolve(userDir) !== resolve(dir)
        ? await linkUserLogin(dir, userDir, config)
        : false;
    await writeSecretJson(configPath, config);

    const settingsPath = join(dir, "settings.json");
    const settings: Json = (await readJson(settingsPath)) ?? {};
    settings.skipDangerousModePermissionPrompt = true;
    // Else Claude registers a claude-cli:// URL handler in the person's real HOME (~/.local/share/applications).
    settings.disableDeepLinkRegistration = "disable";
    await writeSecretJson(settingsPath, settings);
    return { dir, sessionsDir: join(dir, "sessions"), userLogin };
  } catch (e) {
    throw new RunnerError("PROVIDER_SPAWN_FAILED", `could not prepare the Claude config dir ${dir}`, {
      cause: e,
    });
  }
}
