// docs/team-file.md's generated tables must match what scripts/team-file-doc.ts prints from the zod schemas, and
// the example team files in the docs must be valid.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { extractGenerated } from "../../scripts/protocol-doc.ts";
import { renderTeamDoc, TEAM_DOC_PATH } from "../../scripts/team-file-doc.ts";
import { parseTeamText } from "../../src/supervisor/team-file.ts";
import { TeamAgent, TeamDefaults, TeamRelay, TeamSupervisor } from "../../src/supervisor/team-schema.ts";

const SCRIPT = join(import.meta.dir, "../../scripts/team-file-doc.ts");
const README = join(import.meta.dir, "../../README.md");

async function runGenerator(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([process.execPath, SCRIPT, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

/** The keys of the table under `### heading` in the generated text. */
function tableKeys(generated: string, heading: string): string[] {
  const start = generated.indexOf(`### ${heading}\n`);
  if (start < 0) return [];
  const rest = generated.slice(start).split("\n").slice(1);
  const end = rest.findIndex((l) => l.startsWith("#"));
  return (end < 0 ? rest : rest.slice(0, end))
    .map((l) => /^\| `(\w+)` \|/.exec(l)?.[1])
    .filter((f): f is string => f !== undefined);
}

/** The TOML blocks of a markdown file that are team files (the README also shows a Codex config.toml). */
const tomlBlocks = (md: string): string[] =>
  [...md.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes("[agents."));

describe("docs/team-file.md generated section", () => {
  test("matches what the generator prints from the current schemas", async () => {
    const run = await runGenerator();
    expect(run.code).toBe(0);
    if (extractGenerated(readFileSync(TEAM_DOC_PATH, "utf8")) !== run.stdout) {
      throw new Error(
        "docs/team-file.md is stale: run `node_modules/.bin/bun scripts/team-file-doc.ts --write`",
      );
    }
    expect(run.stdout).toBe(renderTeamDoc());
  });

  test("--check passes on the committed doc", async () => {
    const run = await runGenerator("--check");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });

  test("lists every key of each table, in schema order", () => {
    const doc = renderTeamDoc();
    expect(tableKeys(doc, "`[relay]`")).toEqual(Object.keys(TeamRelay.shape));
    expect(tableKeys(doc, "`[supervisor]`")).toEqual(Object.keys(TeamSupervisor.shape));
    expect(tableKeys(doc, "`[defaults]`")).toEqual(Object.keys(TeamDefaults.shape));
    expect(tableKeys(doc, "`[agents.<id>]`")).toEqual(Object.keys(TeamAgent.shape));
    expect(doc).toContain("| `replicas` | integer | optional | 1–50 |");
  });

  test("the example team files in docs/team-file.md and README.md are valid", () => {
    const blocks = [
      ...tomlBlocks(readFileSync(TEAM_DOC_PATH, "utf8")),
      ...tomlBlocks(readFileSync(README, "utf8")),
    ];
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const b of blocks) expect(Object.keys(parseTeamText(b, "example").agents).length).toBeGreaterThan(0);
  });
});
