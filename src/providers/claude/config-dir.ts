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
// The user's own login (real runs): on Linux Claude keeps it in `~/.claude/.credentials.json`. Every agent's session
// is pointed at that one file with CLAUDE_SECURESTORAGE_CONFIG_DIR (credentials AND Claude's OAuth refresh lock live
// there), and `oauthAccount` is copied, so the session is signed in as the user and refreshes one at a time with the
// user's own sessions. A symlinked file is NOT shared: Claude replaces the link with a private copy on its first
// refresh and the rotated refresh token strands everyone else (docs/claude-login.md). On macOS the login is in the
// Keychain, so pass `CLAUDE_CODE_OAUTH_TOKEN` (from `claude setup-token`) or `ANTHROPIC_API_KEY` instead.
import { existsSync, realpathSync } from "node:fs";
import { chmod, lstat, mkdir, readFile, rm, writeFile } from "node:fs/promises";
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
  /** Whether the user's login is shared with the session. */
  userLogin: boolean;
  /** With the user's login: their config dir, for CLAUDE_SECURESTORAGE_CONFIG_DIR (see buildClaudeLaunch). */
  secureStorageDir?: string;
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

/** Share the user's Linux login (the session reads it through secureStorageDir) and copy their account record. */
async function shareUserLogin(dir: string, userDir: string, config: Json): Promise<boolean> {
  const { credentials, configFile } = userConfigPaths(userDir);
  if (!existsSync(credentials)) return false;
  // The link older runners made: Claude would write through it no more, so it goes. A regular file (a copy a
  // refresh left) stays as it is: Claude no longer reads it, and it may hold the only live token.
  const target = join(dir, ".credentials.json");
  if ((await lstat(target).catch(() => undefined))?.isSymbolicLink()) await rm(target);
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
        ? await shareUserLogin(dir, userDir, config)
        : false;
    await writeSecretJson(configPath, config);

    const settingsPath = join(dir, "settings.json");
    const settings: Json = (await readJson(settingsPath)) ?? {};
    settings.skipDangerousModePermissionPrompt = true;
    // Else Claude registers a claude-cli:// URL handler in the person's real HOME (~/.local/share/applications).
    settings.disableDeepLinkRegistration = "disable";
    await writeSecretJson(settingsPath, settings);
    return {
      dir,
      sessionsDir: join(dir, "sessions"),
      userLogin,
      ...(userLogin && userDir !== null ? { secureStorageDir: resolve(userDir) } : {}),
    };
  } catch (e) {
    throw new RunnerError("PROVIDER_SPAWN_FAILED", `could not prepare the Claude config dir ${dir}`, {
      cause: e,
    });
  }
}
