// docs/protocol.md's generated schema tables must match what scripts/protocol-doc.ts prints from the zod schemas.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  BEGIN,
  DOC_PATH,
  END,
  extractGenerated,
  renderGenerated,
  replaceGenerated,
} from "../../scripts/protocol-doc.ts";
import { Agent, Command, HelloFrame, Message, SendMessageRequest, Task } from "../../src/protocol/index.ts";

const SCRIPT = join(import.meta.dir, "../../scripts/protocol-doc.ts");

/** Run the generator as a child process, the way a developer refreshes the doc. */
async function runGenerator(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([process.execPath, SCRIPT, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

/** The rows of the table under `#### name` in the generated text. */
function tableFields(generated: string, name: string): string[] {
  const start = generated.indexOf(`#### ${name}\n`);
  if (start < 0) return [];
  const rest = generated.slice(start).split("\n").slice(1);
  const end = rest.findIndex((l) => l.startsWith("#"));
  return (end < 0 ? rest : rest.slice(0, end))
    .map((l) => /^\| `(\w+)` \|/.exec(l)?.[1])
    .filter((f): f is string => f !== undefined);
}

describe("docs/protocol.md generated section", () => {
  test("matches what the generator prints from the current schemas", async () => {
    const doc = readFileSync(DOC_PATH, "utf8");
    const run = await runGenerator();
    expect(run.code).toBe(0);
    const inDoc = extractGenerated(doc);
    if (inDoc !== run.stdout) {
      throw new Error(
        "docs/protocol.md is stale: run `node_modules/.bin/bun scripts/protocol-doc.ts --write`",
      );
    }
    expect(run.stdout).toBe(renderGenerated());
  });

  test("--check passes on the committed doc", async () => {
    const run = await runGenerator("--check");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });
});

describe("protocol-doc generator", () => {
  const generated = renderGenerated();

  test("lists every field of the main entity, request and frame schemas, in schema order", () => {
    for (const [name, schema] of Object.entries({
      Agent,
      Message,
      Task,
      Command,
      SendMessageRequest,
      HelloFrame,
    })) {
      expect(tableFields(generated, name)).toEqual(Object.keys(schema.shape));
    }
  });

  test("shows types, defaults, limits and source comments for a field", () => {
    expect(generated).toContain('| `kind` | ShortText | default `"chat"` |');
    expect(generated).toContain(
      "| `attachmentIds` | string[] | default `[]` | ≤ 32 items, each 1–64 chars |",
    );
    expect(generated).toContain("| `ttlMs` | integer | optional | 100–900,000 | How long the claim lives");
    expect(generated).toContain('| `CommandStatus` | "pending" \\| "accepted" \\| "running"');
  });

  test("a doc whose generated section was edited by hand no longer matches", () => {
    const doc = replaceGenerated(`# x\n\n${BEGIN}\n${END}\n`, generated);
    expect(extractGenerated(doc)).toBe(generated);
    const edited = doc.replace("| `readBy` |", "| `readers` |");
    expect(edited).not.toBe(doc);
    expect(extractGenerated(edited)).not.toBe(generated);
  });

  test("a doc without the markers is refused rather than silently rewritten", () => {
    expect(extractGenerated("# no markers\n")).toBeUndefined();
    expect(() => replaceGenerated("# no markers\n", generated)).toThrow(/generated:begin/);
  });
});
