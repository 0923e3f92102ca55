// Whether Codex has something to sign in with before it starts: the custom provider's key variable, an OpenAI key
// in the environment, or a login (auth.json) in its CODEX_HOME (see shared/briefs/codex.md).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { authReason, firstSet } from "../auth-check.ts";
import type { CodexModelProvider } from "./home.ts";

/** Undefined when Codex can sign in; else the reason to report (`auth: …`). */
export function codexCredentialProblem(
  env: Record<string, string | undefined>,
  codexHome: string,
  provider: CodexModelProvider | undefined,
): string | undefined {
  if (provider) {
    if (firstSet(env, [provider.envKey])) return undefined;
    return authReason(
      `Codex has no credentials: ${provider.envKey} is not set; messages wait unread until then`,
    );
  }
  if (firstSet(env, ["OPENAI_API_KEY", "CODEX_API_KEY"])) return undefined;
  if (existsSync(join(codexHome, "auth.json"))) return undefined;
  return authReason(
    "Codex has no credentials: set OPENAI_API_KEY or CODEX_API_KEY, or log in with codex login (the runner copies ~/.codex/auth.json); messages wait unread until then",
  );
}
