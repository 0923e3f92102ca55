// The --profile-file a runner reads: validated at the boundary (one line naming the file and field, no values),
// and summarised for status meta by names and counts only.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ConfigError } from "../../src/config/errors.ts";
import { loadTeamProfile, profileSummary } from "../../src/providers/team-profile.ts";
import { runCli } from "../cli/run-cli.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "relay-profile-"));
  dirs.push(dir);
  writeFileSync(join(dir, "profile.json"), text, { mode: 0o600 });
  return join(dir, "profile.json");
}
const good = {
  name: "rev",
  skills: [{ name: "review", src: "/srv/skills/review" }],
  mcpServers: { tools: { command: "node", env: { API_KEY: "sk-secret" } } },
  allow: ["npm test"],
  deny: ["git push", "rm"],
};

describe("team profile file", () => {
  test("a valid file loads; the summary has names and counts, never env values", () => {
    const p = loadTeamProfile(file(JSON.stringify(good)));
    const summary = profileSummary(p, "rev", true);
    expect(summary).toEqual({
      name: "rev",
      skills: ["review"],
      mcpServers: ["tools"],
      allow: 1,
      deny: 2,
      instructions: true,
    });
    expect(JSON.stringify(summary)).not.toContain("sk-secret");
    expect(profileSummary(undefined, "named-only", false)).toMatchObject({ name: "named-only", skills: [] });
    expect(profileSummary(undefined, undefined, true)).toBeUndefined();
  });

  test("a missing, broken or invalid file is one ConfigError naming the file and the field", () => {
    const cases: [string, RegExp][] = [
      ["/nope/profile.json", /^--profile-file \/nope\/profile.json: cannot read it \(ENOENT\)$/],
      [file("{not json"), /profile.json: cannot read it \(not valid JSON\)$/],
      [file(JSON.stringify({ ...good, deny: [""] })), /profile.json: deny.0: /],
      [file(JSON.stringify({ ...good, extra: 1 })), /profile.json: \(root\): /],
    ];
    for (const [path, message] of cases) {
      try {
        loadTeamProfile(path);
        throw new Error("expected a ConfigError");
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as Error).message).toMatch(message);
        expect((e as Error).message).not.toContain("\n");
      }
    }
  });

  test("the runner refuses a bad --profile-file with one line and exit 2, before starting a relay", async () => {
    const path = file(JSON.stringify({ ...good, mcpServers: { "bad name": { command: "x" } } }));
    const home = dirname(path);
    const got = await runCli(["--provider", "codex", "--headless", "--profile-file", path], {
      env: { HOME: home },
    });
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(
      /^agent-relay-runner: --profile-file \S+profile.json: mcpServers.bad name: [^\n]+\n$/,
    );
    expect(existsSync(join(home, ".agent-relay", "relay.json"))).toBe(false);
  });
});
