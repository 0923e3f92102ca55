// The private CLAUDE_CONFIG_DIR: every first-run dialog pre-answered, private modes, the user's login linked.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareClaudeConfigDir } from "../../../src/providers/claude/config-dir.ts";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "claude-config-test-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const readJson = async (path: string) => JSON.parse(await readFile(path, "utf8"));

describe("prepareClaudeConfigDir", () => {
  test("writes the keys that skip onboarding, folder trust, the API-key and the bypass dialogs, privately", async () => {
    const dir = join(root, "cfg");
    const cwd = join(root, "work");
    await mkdir(cwd);
    const key = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789";
    const prepared = await prepareClaudeConfigDir({
      dir,
      trustedDirs: [cwd],
      apiKey: key,
      armMonitor: true,
      userConfigDir: null,
    });
    const config = await readJson(join(dir, ".claude.json"));
    expect(config.hasCompletedOnboarding).toBe(true);
    expect(config.projects[cwd].hasTrustDialogAccepted).toBe(true);
    expect(config.customApiKeyResponses.approved).toEqual([key.slice(-20)]);
    expect(config.cachedGrowthBookFeatures.tengu_amber_sentinel).toBe(true);
    expect((await readJson(join(dir, "settings.json"))).skipDangerousModePermissionPrompt).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, ".claude.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "settings.json")).mode & 0o777).toBe(0o600);
    expect(prepared.sessionsDir).toBe(join(dir, "sessions"));
    expect(prepared.userLogin).toBe(false);
  });

  test("a cwd reached through a symlink is trusted under its real path too", async () => {
    const real = join(root, "real");
    const link = join(root, "link");
    await mkdir(real);
    await symlink(real, link);
    await prepareClaudeConfigDir({
      dir: join(root, "cfg"),
      trustedDirs: [link],
      armMonitor: false,
      userConfigDir: null,
    });
    const config = await readJson(join(root, "cfg", ".claude.json"));
    expect(config.projects[link].hasTrustDialogAccepted).toBe(true);
    expect(config.projects[real].hasTrustDialogAccepted).toBe(true);
  });

  test("preparing again keeps what Claude wrote and does not duplicate approvals", async () => {
    const dir = join(root, "cfg");
    const opts = { dir, trustedDirs: [root], apiKey: "k".repeat(30), armMonitor: false, userConfigDir: null };
    await prepareClaudeConfigDir(opts);
    const config = await readJson(join(dir, ".claude.json"));
    config.numStartups = 7;
    await writeFile(join(dir, ".claude.json"), JSON.stringify(config));
    await prepareClaudeConfigDir(opts);
    const again = await readJson(join(dir, ".claude.json"));
    expect(again.numStartups).toBe(7);
    expect(again.customApiKeyResponses.approved).toEqual(["k".repeat(20)]);
  });

  test("the user's own login is shared through its dir (not a link), with their account record; an old link goes", async () => {
    const user = join(root, "user-claude");
    await mkdir(user);
    await writeFile(join(user, ".credentials.json"), '{"claudeAiOauth":{}}', { mode: 0o600 });
    await writeFile(
      join(user, ".claude.json"),
      JSON.stringify({ oauthAccount: { emailAddress: "me@example.com" } }),
    );
    const dir = join(root, "cfg");
    // What an older runner left: a link Claude would replace with a private copy on its first refresh.
    await mkdir(dir);
    await symlink(join(user, ".credentials.json"), join(dir, ".credentials.json"));
    const prepared = await prepareClaudeConfigDir({
      dir,
      trustedDirs: [root],
      armMonitor: false,
      userConfigDir: user,
    });
    expect(prepared.userLogin).toBe(true);
    expect(prepared.secureStorageDir).toBe(user);
    expect(existsSync(join(dir, ".credentials.json"))).toBe(false);
    expect((await readJson(join(dir, ".claude.json"))).oauthAccount.emailAddress).toBe("me@example.com");
  });
});
