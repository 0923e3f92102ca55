// A team profile projected into a Codex CODEX_HOME: MCP server tables in config.toml (0600), execpolicy rules
// for allow/deny (0600), the profile's skills beside the relay's own; a second start without it removes it all.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { prepareCodexHome, renderCodexConfig } from "../../../src/providers/codex/home.ts";
import { RELAY_CODEX_SKILLS, renderProfileRules } from "../../../src/providers/codex/profile.ts";
import type { TeamProfileFile } from "../../../src/providers/team-profile.ts";
import { tempDir } from "./harness.ts";

const base = { cwd: "/srv/project", model: "gpt-5.5", approvalMode: "default" as const };
const profile = (over: Partial<TeamProfileFile> = {}): TeamProfileFile => ({
  name: "rev",
  skills: [],
  mcpServers: {
    tools: { command: "/usr/bin/node", args: ["server.js", 'a "quoted" arg'], env: { API_KEY: "sk-secret" } },
    bare: { command: "mcp-bare" },
  },
  allow: ["npm test"],
  deny: ["git push", "rm -rf"],
  ...over,
});

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe("Codex team profile projection", () => {
  test("each MCP server is an [mcp_servers.<name>] table with command, args and env", () => {
    const config = renderCodexConfig({ ...base, profile: profile() });
    expect(config).toContain(
      [
        '[mcp_servers."tools"]',
        'command = "/usr/bin/node"',
        'args = ["server.js", "a \\"quoted\\" arg"]',
        "",
        '[mcp_servers."tools".env]',
        '"API_KEY" = "sk-secret"',
        "",
        '[mcp_servers."bare"]',
        'command = "mcp-bare"',
        "",
      ].join("\n"),
    );
    // Parsed as TOML, it is what Codex reads.
    const parsed = Bun.TOML.parse(config) as { mcp_servers: Record<string, unknown> };
    expect(parsed.mcp_servers).toEqual({
      tools: {
        command: "/usr/bin/node",
        args: ["server.js", 'a "quoted" arg'],
        env: { API_KEY: "sk-secret" },
      },
      bare: { command: "mcp-bare" },
    });
    expect(renderCodexConfig(base)).not.toContain("mcp_servers");
  });

  test("deny rules are forbidden prefix rules and allow rules allowed ones", () => {
    expect(renderProfileRules(profile())).toBe(
      [
        "# Written by agent-relay-runner from the team profile; rewritten on every start.",
        'prefix_rule(pattern=["git", "push"], decision="forbidden", justification="refused by the team profile rev")',
        'prefix_rule(pattern=["rm", "-rf"], decision="forbidden", justification="refused by the team profile rev")',
        'prefix_rule(pattern=["npm", "test"], decision="allow", justification="allowed by the team profile rev")',
        "",
      ].join("\n"),
    );
    expect(renderProfileRules(profile({ allow: [], deny: [] }))).toBeUndefined();
    expect(() => renderProfileRules(profile({ deny: ["Bash(rm:*)"] }))).toThrow(/not a command prefix/);
  });

  test("files are 0600 in the 0700 home, skills are installed, and a start without the profile removes them", async () => {
    const dir = await tempDir("codex-profile");
    cleanup = dir.remove;
    const skill = join(dir.path, "src-skills", "team-review");
    mkdirSync(skill, { recursive: true });
    writeFileSync(join(skill, "SKILL.md"), "---\nname: team-review\ndescription: Review.\n---\n");
    const home = join(dir.path, "home");
    const p = profile({ skills: [{ name: "team-review", src: skill }] });
    await prepareCodexHome({ ...base, homeDir: home, profile: p });
    expect((await stat(home)).mode & 0o777).toBe(0o700);
    expect((await stat(join(home, "config.toml"))).mode & 0o777).toBe(0o600);
    const rules = join(home, "rules", "team-profile.rules");
    expect((await stat(rules)).mode & 0o777).toBe(0o600);
    expect(await Bun.file(join(home, "skills", "team-review", "SKILL.md")).text()).toContain(
      "name: team-review",
    );
    expect(existsSync(join(home, "skills", "reply", "SKILL.md"))).toBe(true);
    // The list the planner checks clashes against is the relay's own skills folder.
    const installed = (await readdir(join(home, "skills"))).filter((n) => n !== "team-review").sort();
    expect(installed).toEqual([...RELAY_CODEX_SKILLS]);

    mkdirSync(join(home, "skills", ".system"), { recursive: true });
    await prepareCodexHome({ ...base, homeDir: home });
    expect(existsSync(rules)).toBe(false);
    expect(existsSync(join(home, "skills", "team-review"))).toBe(false);
    expect(existsSync(join(home, "skills", ".system"))).toBe(true);
    expect(existsSync(join(home, "skills", "reply", "SKILL.md"))).toBe(true);
    expect(await Bun.file(join(home, "config.toml")).text()).not.toContain("sk-secret");
  });
});
