// team.toml: parsing, validation errors that name the file, table and key, and the plan per runner.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseTeamText, readTeamFile, TeamFileError } from "../../src/supervisor/team-file.ts";
import { planTeam } from "../../src/supervisor/team-plan.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function teamDir(toml: string, files: Record<string, string> = {}, nested: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "relay-team-file-"));
  dirs.push(dir);
  writeFileSync(join(dir, "team.toml"), toml);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  for (const path of nested) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), "x\n");
  }
  return dir;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TeamFileError);
    return (e as Error).message;
  }
  throw new Error("expected a TeamFileError");
}

function plan(toml: string, files: Record<string, string> = {}, nested: string[] = []) {
  const dir = teamDir(toml, files, nested);
  const { team, file } = readTeamFile(join(dir, "team.toml"));
  return { dir, plan: planTeam(team, file, "team.toml") };
}

describe("team file validation", () => {
  test("a bad value names the file, the table and the key", () => {
    const msg = errorOf(() =>
      parseTeamText(
        '[agents.alpha]\nprovider = "command"\ncommand = ["x"]\nrestart = "sometimes"\n',
        "t.toml",
      ),
    );
    expect(msg).toBe("t.toml: [agents.alpha] restart: expected one of on-failure|always|never");
  });

  test("an unknown key, an unknown table, a bad agent id, an env name the runner owns", () => {
    expect(errorOf(() => parseTeamText('[agents.a]\nprovidr = "x"\n', "t.toml"))).toBe(
      "t.toml: [agents.a] unknown key 'providr'",
    );
    expect(errorOf(() => parseTeamText("[agent.a]\n", "t.toml"))).toContain("unknown table 'agent'");
    expect(errorOf(() => parseTeamText('[agents."bad id"]\nprovider="command"\n', "t.toml"))).toContain(
      "t.toml: [agents.bad id]",
    );
    expect(errorOf(() => parseTeamText('[agents.a.env]\nAGENT_RELAY_TOKEN = "x"\n', "t.toml"))).toContain(
      "t.toml: [agents.a] env.AGENT_RELAY_TOKEN",
    );
    expect(errorOf(() => parseTeamText("[relay]\nurl = 3\n", "t.toml"))).toContain("t.toml: [relay] url:");
    expect(errorOf(() => parseTeamText("[defaults]\nquiet_ms = 10\n", "t.toml"))).toBe(
      "t.toml: [defaults] quiet_ms: expected an integer >= 50",
    );
  });

  test("no agents, broken TOML, a missing file", () => {
    expect(errorOf(() => parseTeamText("[relay]\n", "t.toml"))).toBe("t.toml: (top level) agents: required");
    expect(errorOf(() => parseTeamText("[agents.a\n", "t.toml"))).toStartWith("t.toml: not valid TOML:");
    expect(errorOf(() => readTeamFile("/nonexistent/team.toml"))).toContain(
      "/nonexistent/team.toml: cannot read the team file (ENOENT)",
    );
  });

  test("rules that need the whole file: provider, command, profile, cwd", () => {
    expect(errorOf(() => plan("[agents.a]\n"))).toBe(
      "team.toml: [agents.a] provider: required (here, in its profile or in [defaults])",
    );
    expect(errorOf(() => plan('[agents.a]\nprovider = "command"\n'))).toBe(
      "team.toml: [agents.a] command: required for provider command",
    );
    expect(errorOf(() => plan('[agents.a]\nprovider = "claude"\nprofile = "nope"\n'))).toBe(
      "team.toml: [agents.a] profile: no [profiles.nope] table",
    );
    expect(errorOf(() => plan('[agents.a]\nprovider = "claude"\ncwd = "missing"\n'))).toContain(
      "team.toml: [agents.a] cwd: no such directory",
    );
  });
});

describe("team plan", () => {
  test("defaults, then the profile, then the agent; env merges; instructions append in order", () => {
    const { dir, plan: p } = plan(
      [
        "[defaults]",
        'provider = "command"',
        'command = ["bash"]',
        'approval_mode = "auto"',
        'instructions = "Team rule."',
        "[defaults.env]",
        'A = "1"',
        "[profiles.reviewer]",
        'instructions_file = "reviewer.md"',
        'tags = ["review"]',
        "[profiles.reviewer.env]",
        'B = "2"',
        "[agents.rev]",
        'profile = "reviewer"',
        'label = "rev"',
        'restart = "always"',
        "[agents.rev.env]",
        'A = "3"',
      ].join("\n"),
      { "reviewer.md": "Review carefully.\n" },
    );
    expect(p.agents).toHaveLength(1);
    const a = p.agents[0]!;
    expect(a).toMatchObject({ id: "rev", provider: "command", restart: "always" });
    expect(a.env).toEqual({
      A: "3",
      B: "2",
      AGENT_RELAY_SYSTEM_PROMPT_APPEND: "Team rule.\n\nReview carefully.",
    });
    expect(a.args).toEqual([
      "--headless",
      "--provider",
      "command",
      "--agent-id",
      "rev",
      "--runner-id",
      "rev",
      "--cwd",
      dir,
      "--label",
      "rev",
      "--tag",
      "review",
      "--approval-mode",
      "auto",
      "--profile",
      "reviewer",
      "--",
      "bash",
    ]);
  });

  test("worktree = true becomes --worktree (from defaults too); false or absent adds nothing", () => {
    const { plan: p } = plan(
      '[defaults]\nworktree = true\n[agents.a]\nprovider = "command"\ncommand = ["sh"]\n[agents.b]\nprovider = "command"\ncommand = ["sh"]\nworktree = false\n',
    );
    expect(p.agents.find((a) => a.id === "a")!.args).toContain("--worktree");
    expect(p.agents.find((a) => a.id === "b")!.args).not.toContain("--worktree");
    expect(
      errorOf(() => plan('[agents.c]\nprovider = "command"\ncommand = ["sh"]\nworktree = "yes"\n')),
    ).toContain("worktree");
  });

  test("replicas become <id>-1..n with one fingerprint each; a clash with another id is refused", () => {
    const { plan: p } = plan('[agents.w]\nprovider = "command"\ncommand = ["sh"]\nreplicas = 3\n');
    expect(p.agents.map((a) => a.id)).toEqual(["w-1", "w-2", "w-3"]);
    expect(p.agents.every((a) => a.restart === "on-failure")).toBe(true);
    expect(new Set(p.agents.map((a) => a.fingerprint)).size).toBe(3);
    const clash =
      '[agents.w]\nprovider = "command"\ncommand = ["sh"]\nreplicas = 2\n[agents.w-1]\nprovider = "command"\ncommand = ["sh"]\n';
    expect(errorOf(() => plan(clash))).toContain("agent id 'w-1' is declared twice");
  });

  test("a claude profile is projected: MCP config file, skills plugin, allow/deny rules; other providers refuse it", () => {
    const { dir, plan: p } = plan(
      [
        "[defaults]",
        'provider = "claude"',
        'deny = ["WebFetch"]',
        "[profiles.rev]",
        'skills = ["skills/review"]',
        'deny = ["Bash"]',
        'allow = ["Read"]',
        "[profiles.rev.mcp_servers.tools]",
        'command = "node"',
        'args = ["server.js"]',
        'env = { API_KEY = "secret-value" }',
        "[agents.rev]",
        'profile = "rev"',
        'args = ["--verbose"]',
      ].join("\n"),
      {},
      ["skills/review/SKILL.md"],
    );
    const a = p.agents[0]!;
    expect(a.projection).toMatchObject({
      profile: "rev",
      mcpServers: { tools: { command: "node", args: ["server.js"], env: { API_KEY: "secret-value" } } },
      skills: [{ name: "review", src: join(dir, "skills/review") }],
      allow: ["Read"],
      deny: ["WebFetch", "Bash"],
    });
    const pdir = a.projection!.dir;
    expect(a.args.slice(a.args.indexOf("--"))).toEqual([
      "--",
      "--verbose",
      "--mcp-config",
      join(pdir, "mcp.json"),
      "--plugin-dir",
      join(pdir, "plugin"),
      "--allowedTools",
      "Read",
      "--disallowedTools",
      "WebFetch,Bash",
    ]);
    // The MCP server's env (it may hold secrets) is never on the runner's command line.
    expect(a.args.join(" ")).not.toContain("secret-value");
    expect(errorOf(() => plan('[agents.c]\nprovider = "command"\ncommand = ["sh"]\ndeny = ["rm"]\n'))).toBe(
      "team.toml: [agents.c] deny: applies to providers claude and codex only",
    );
    expect(errorOf(() => plan('[agents.c]\nprovider = "claude"\nskills = ["nope"]\n'))).toContain(
      "team.toml: [agents.c] skills: no such folder",
    );
  });

  test("a codex profile goes to the runner as a 0600 profile file; Claude tool rules are refused naming the key", () => {
    const { dir, plan: p } = plan(
      [
        "[profiles.rev]",
        'instructions = "review"',
        'skills = ["skills/review"]',
        'deny = ["git push", "rm -rf"]',
        'allow = ["npm test"]',
        "[profiles.rev.mcp_servers.tools]",
        'command = "node"',
        'env = { API_KEY = "secret-value" }',
        "[agents.cx]",
        'provider = "codex"',
        'profile = "rev"',
      ].join("\n"),
      {},
      ["skills/review/SKILL.md"],
    );
    const a = p.agents[0]!;
    expect(a.projection).toBeUndefined();
    expect(a.profileFile?.content).toEqual({
      name: "rev",
      skills: [{ name: "review", src: join(dir, "skills/review") }],
      mcpServers: { tools: { command: "node", env: { API_KEY: "secret-value" } } },
      allow: ["npm test"],
      deny: ["git push", "rm -rf"],
    });
    const at = a.args.indexOf("--profile-file");
    expect(at).toBeGreaterThan(-1);
    expect(at).toBeLessThan(a.args.indexOf("--"));
    expect(a.args[at + 1]).toBe(a.profileFile!.path);
    expect(a.args.join(" ")).not.toContain("secret-value");
    expect(
      errorOf(() => plan('[agents.c]\nprovider = "codex"\nskills = ["s/reply"]\n', {}, ["s/reply/SKILL.md"])),
    ).toBe("team.toml: [agents.c] skills: 'reply' is the name of one of the relay's own Codex skills");
    for (const rule of ["Bash", "Bash(rm:*)", "WebFetch"]) {
      expect(errorOf(() => plan(`[agents.c]\nprovider = "codex"\ndeny = [${JSON.stringify(rule)}]\n`))).toBe(
        `team.toml: [agents.c] deny: '${rule}' is a Claude tool rule; Codex has no per-tool rules, write a command prefix such as "git push"`,
      );
    }
  });

  test("a relative cwd is relative to the team file", () => {
    const dir = teamDir("");
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "team.toml"), '[agents.a]\nprovider = "codex"\ncwd = "sub"\nargs = ["--x"]\n');
    const { team, file } = readTeamFile(join(dir, "team.toml"));
    const a = planTeam(team, file).agents[0]!;
    expect(a.args.slice(a.args.indexOf("--cwd"), a.args.indexOf("--cwd") + 2)).toEqual([
      "--cwd",
      join(dir, "sub"),
    ]);
    expect(a.args.slice(a.args.indexOf("--"))).toEqual(["--", "--x"]);
  });
});
