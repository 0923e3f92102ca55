// What counts as credentials for Claude Code and Codex before the runner starts them.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAuthReason, looksLikeAuthFailure } from "../../src/providers/auth-check.ts";
import { claudeCredentialProblem } from "../../src/providers/claude/credentials.ts";
import { codexCredentialProblem } from "../../src/providers/codex/credentials.ts";

const root = mkdtempSync(join(tmpdir(), "creds-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = () => {
  const d = join(root, `d${++n}`);
  mkdirSync(d);
  return d;
};

describe("Claude credentials", () => {
  test("a key or token in the environment, a login file or an apiKeyHelper counts; empty values and dangling links do not", () => {
    const empty = dir();
    const problem = claudeCredentialProblem({ ANTHROPIC_API_KEY: "  " }, empty);
    expect(isAuthReason(problem)).toBe(true);
    expect(problem).toContain("ANTHROPIC_API_KEY");
    for (const name of [
      "ANTHROPIC_API_KEY",
      "ANTHROPIC_AUTH_TOKEN",
      "CLAUDE_CODE_OAUTH_TOKEN",
      "CLAUDE_CODE_USE_BEDROCK",
    ])
      expect(claudeCredentialProblem({ [name]: "x" }, empty)).toBeUndefined();
    const dangling = dir();
    symlinkSync(join(root, "missing.json"), join(dangling, ".credentials.json"));
    expect(claudeCredentialProblem({}, dangling)).toBeDefined();
    const login = dir();
    writeFileSync(join(login, ".credentials.json"), "{}");
    expect(claudeCredentialProblem({}, login)).toBeUndefined();
    // A login shared from the user's dir (CLAUDE_SECURESTORAGE_CONFIG_DIR) counts; the private dir has none.
    expect(claudeCredentialProblem({ CLAUDE_SECURESTORAGE_CONFIG_DIR: login }, empty)).toBeUndefined();
    expect(claudeCredentialProblem({ CLAUDE_SECURESTORAGE_CONFIG_DIR: empty }, empty)).toBeDefined();
    const helper = dir();
    writeFileSync(join(helper, "settings.json"), JSON.stringify({ apiKeyHelper: "print-key" }));
    expect(claudeCredentialProblem({}, helper)).toBeUndefined();
  });
});

describe("Codex credentials", () => {
  test("a custom provider needs its key variable; OpenAI takes OPENAI_API_KEY, CODEX_API_KEY or an auth.json", () => {
    const home = dir();
    const provider = { baseUrl: "http://127.0.0.1:1", envKey: "FAKE_KEY" };
    expect(codexCredentialProblem({}, home, provider)).toContain("FAKE_KEY is not set");
    expect(codexCredentialProblem({ FAKE_KEY: "k" }, home, provider)).toBeUndefined();
    expect(isAuthReason(codexCredentialProblem({}, home, undefined))).toBe(true);
    expect(codexCredentialProblem({ CODEX_API_KEY: "k" }, home, undefined)).toBeUndefined();
    writeFileSync(join(home, "auth.json"), "{}");
    expect(codexCredentialProblem({}, home, undefined)).toBeUndefined();
  });
});

describe("auth failures", () => {
  test("the model failures that mean bad credentials are told from the rest", () => {
    for (const r of [
      "authentication_failed",
      "Not logged in · Please run /login",
      "invalid x-api-key",
      "HTTP 401",
    ])
      expect(looksLikeAuthFailure(r)).toBe(true);
    for (const r of ["rate_limit: scripted 429", "unknown", "server_error: overloaded"])
      expect(looksLikeAuthFailure(r)).toBe(false);
  });
});
