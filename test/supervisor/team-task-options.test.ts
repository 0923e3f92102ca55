// team.toml task_completion and stall_after: validated in the file, passed to each runner as its flags.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRunnerConfig } from "../../src/config/index.ts";
import { parseTeamText, readTeamFile } from "../../src/supervisor/team-file.ts";
import { planTeam } from "../../src/supervisor/team-plan.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function planOf(toml: string) {
  const dir = mkdtempSync(join(tmpdir(), "relay-team-task-"));
  dirs.push(dir);
  writeFileSync(join(dir, "team.toml"), toml);
  const { team, file } = readTeamFile(join(dir, "team.toml"));
  return planTeam(team, file, "team.toml");
}

describe("team file task options", () => {
  test("task_completion and stall_after reach the runner as --task-completion and --stall-after", () => {
    const plan = planOf(
      '[defaults]\nprovider = "command"\ncommand = ["bash"]\ntask_completion = "explicit"\n' +
        '[agents.a]\nstall_after = "90s"\n[agents.b]\n',
    );
    const args = (id: string) => plan.agents.find((a) => a.id === id)!.args;
    const a = parseRunnerConfig(args("a"), {}, { providerDefaultTags: () => [] });
    expect(a).toMatchObject({ taskCompletion: "explicit", stallAfterMs: 90_000 });
    const b = parseRunnerConfig(args("b"), {}, { providerDefaultTags: () => [] });
    expect(b).toMatchObject({ taskCompletion: "explicit", stallAfterMs: 600_000 });
  });

  test("a bad value names the file, the table and the key", () => {
    expect(() => parseTeamText('[defaults]\nstall_after = "soon"\n[agents.a]\n', "t.toml")).toThrow(
      "t.toml: [defaults] stall_after: expected a duration like 90s, 10m or 2h",
    );
    expect(() => parseTeamText('[agents.a]\ntask_completion = "never"\n', "t.toml")).toThrow(
      "t.toml: [agents.a] task_completion: expected one of auto|explicit",
    );
  });
});
