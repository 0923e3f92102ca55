// End to end: the real Claude Code CLI (`claude -p`) refreshing one shared subscription login against a faked
// OAuth token endpoint (single-use, rotating refresh tokens). Several sessions start at once with an expired access
// token. With the runner's config dirs (the user's login shared through CLAUDE_SECURESTORAGE_CONFIG_DIR) Claude's own
// refresh lock serialises them: one refresh, everyone signed in. With the layout the runner used before (a private
// dir per agent with `.credentials.json` symlinked to the user's), they race. See docs/claude-login.md.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawn } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { prepareClaudeConfigDir } from "../../src/providers/claude/config-dir.ts";
import { buildClaudeLaunch } from "../../src/providers/claude/launch.ts";
import { FakeClaudeLogin } from "../support/fake-claude-login.ts";

setDefaultTimeout(120_000);

const CLAUDE = resolve(import.meta.dir, "../../node_modules/.bin/claude");
const SESSIONS = 3;
let login: FakeClaudeLogin | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await login?.stop();
  login = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A HOME whose `~/.claude` holds the user's (expired) login. */
function userHome(l: FakeClaudeLogin): { home: string; userDir: string; work: string } {
  const home = realpathSync(mkdtempSync(join(tmpdir(), "claude-login-")));
  dirs.push(home);
  const userDir = join(home, ".claude");
  mkdirSync(userDir, { mode: 0o700 });
  writeFileSync(join(userDir, ".credentials.json"), l.expiredCredentials(), { mode: 0o600 });
  const account = {
    oauthAccount: { accountUuid: "u1", emailAddress: "me@example.com", organizationUuid: "o1" },
  };
  writeFileSync(join(home, ".claude.json"), JSON.stringify({ hasCompletedOnboarding: true, ...account }));
  const work = join(home, "work");
  mkdirSync(work);
  return { home, userDir, work };
}

/** `claude -p` sessions at once, each with its own env on top of HOME and the fake endpoints; their exit codes. */
function runAll(home: string, work: string, envs: Record<string, string>[]): Promise<number[]> {
  return Promise.all(
    envs.map(
      (env, i) =>
        new Promise<number>((done) => {
          const p = spawn(CLAUDE, ["-p", `hello ${i}`], {
            cwd: work,
            env: { PATH: process.env.PATH, HOME: home, ...login!.env(), ...env },
            stdio: "ignore",
          });
          const kill = setTimeout(() => p.kill("SIGKILL"), 90_000);
          p.on("exit", (code) => {
            clearTimeout(kill);
            done(code ?? -1);
          });
        }),
    ),
  );
}

describe("a Claude subscription login shared by several agents", () => {
  test("through the runner's config dirs, concurrent sessions refresh once, in turn, and all stay signed in", async () => {
    login = await FakeClaudeLogin.start();
    const { home, userDir, work } = userHome(login);
    const envs: Record<string, string>[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const prepared = await prepareClaudeConfigDir({
        dir: join(home, "agents", `a${i}`, "claude-config"),
        trustedDirs: [work],
        armMonitor: false,
        userConfigDir: userDir,
      });
      const { env } = buildClaudeLaunch({
        claudeBin: CLAUDE,
        pluginDir: work,
        configDir: prepared.dir,
        secureStorageDir: prepared.secureStorageDir,
        claudeSessionId: crypto.randomUUID(),
        resume: false,
        approvalMode: "default",
        armMonitor: false,
        env: {},
      });
      envs.push(env);
    }
    expect(await runAll(home, work, envs)).toEqual(Array(SESSIONS).fill(0));
    expect(login.grants).toEqual([{ sent: "rt-0", accepted: true }]);
    expect(new Set(login.modelBearers.filter((b) => b !== "at-0"))).toEqual(new Set(["at-1"]));
    // The user's own file holds the rotated login: their next session (and the next agent) refreshes with it.
    expect(
      JSON.parse(readFileSync(join(userDir, ".credentials.json"), "utf8")).claudeAiOauth.refreshToken,
    ).toBe("rt-1");
  });

  test("with CLAUDE_CODE_OAUTH_TOKEN (claude setup-token) no session refreshes at all, whatever the stored login", async () => {
    login = await FakeClaudeLogin.start();
    const { home, userDir, work } = userHome(login);
    login.accept("sk-ant-oat01-team-token");
    const env = { CLAUDE_CONFIG_DIR: userDir, CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-team-token" };
    expect(await runAll(home, work, Array(SESSIONS).fill(env))).toEqual(Array(SESSIONS).fill(0));
    expect(login.grants).toEqual([]);
    expect(new Set(login.modelBearers)).toEqual(new Set(["sk-ant-oat01-team-token"]));
  });

  test("with a symlinked credentials file per agent (the old layout) they race: one wins, the others are logged out, the user's login is stranded", async () => {
    login = await FakeClaudeLogin.start();
    const { home, userDir, work } = userHome(login);
    const envs = Array.from({ length: SESSIONS }, (_, i) => {
      const dir = join(home, "agents", `a${i}`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      symlinkSync(join(userDir, ".credentials.json"), join(dir, ".credentials.json"));
      return { CLAUDE_CONFIG_DIR: dir };
    });
    const codes = await runAll(home, work, envs);
    expect(codes.filter((c) => c === 0)).toHaveLength(1);
    expect(login.grants.filter((g) => g.accepted)).toEqual([{ sent: "rt-0", accepted: true }]);
    expect(login.grants.filter((g) => !g.accepted).length).toBeGreaterThan(0);
    // Claude replaced each link with a private file, so the winner's rotated token never reached the user's file,
    // which still holds rt-0: spent, so the user's own next refresh fails too.
    expect(
      envs.every((e) => !lstatSync(join(e.CLAUDE_CONFIG_DIR, ".credentials.json")).isSymbolicLink()),
    ).toBe(true);
    expect(
      JSON.parse(readFileSync(join(userDir, ".credentials.json"), "utf8")).claudeAiOauth.refreshToken,
    ).toBe("rt-0");
  });
});
