// Whether Claude Code has something to sign in with before it starts: a key or token in its environment, a cloud
// provider switch, an apiKeyHelper, or a login in its config dir (see shared/briefs/claude-code.md).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { authReason, firstSet } from "../auth-check.ts";

const CREDENTIAL_ENV = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "CLAUDE_CODE_USE_BEDROCK",
  "CLAUDE_CODE_USE_VERTEX",
] as const;

/** Undefined when Claude can sign in; else the reason to report (`auth: …`). */
export function claudeCredentialProblem(
  env: Record<string, string | undefined>,
  configDir: string,
): string | undefined {
  if (firstSet(env, CREDENTIAL_ENV)) return undefined;
  // A shared login lives in CLAUDE_SECURESTORAGE_CONFIG_DIR; existsSync follows links, so a dangling one is no login.
  const store = env.CLAUDE_SECURESTORAGE_CONFIG_DIR || configDir;
  if (existsSync(join(store, ".credentials.json"))) return undefined;
  if (hasApiKeyHelper(join(configDir, "settings.json"))) return undefined;
  return authReason(
    `Claude Code has no credentials: set ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN, or log in (/login in the agent's session); messages wait unread until then`,
  );
}

function hasApiKeyHelper(settingsPath: string): boolean {
  try {
    const settings = JSON.parse(readFileSync(settingsPath, "utf8")) as { apiKeyHelper?: unknown };
    return typeof settings.apiKeyHelper === "string" && settings.apiKeyHelper.trim() !== "";
  } catch {
    return false;
  }
}
