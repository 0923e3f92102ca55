// Claude's token totals from a transcript: one count per answer id, cache tokens in the input, none before it exists.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastContextUsage } from "../../../src/providers/claude/context-usage.ts";
import { transcriptUsageTotals } from "../../../src/providers/claude/usage-totals.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const answer = (id: string, input: number, output: number, cacheRead = 0) =>
  JSON.stringify({
    type: "assistant",
    message: {
      id,
      usage: {
        input_tokens: input,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: cacheRead,
        output_tokens: output,
      },
    },
  });

function transcript(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "claude-usage-"));
  dirs.push(dir);
  const path = join(dir, "session.jsonl");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

describe("transcriptUsageTotals", () => {
  test("each answer counts once (its lines repeat its usage), cache reads count as input", async () => {
    const path = transcript([
      JSON.stringify({ type: "user", message: { content: "hi" } }),
      answer("msg_1", 100, 10),
      answer("msg_1", 100, 10),
      '{"type":"assistant","usage": cut in ha',
      answer("msg_2", 50, 5, 1000),
    ]);
    expect(await transcriptUsageTotals(path)).toEqual({ inputTokens: 1150, outputTokens: 15 });
    // The context-usage reader sees the same last answer through the shared line parser.
    expect(await lastContextUsage(path)).toEqual({ usedTokens: 1055 });
  });

  test("a transcript not written yet has used nothing; an unreadable one gives no totals", async () => {
    const dir = mkdtempSync(join(tmpdir(), "claude-usage-"));
    dirs.push(dir);
    expect(await transcriptUsageTotals(join(dir, "none.jsonl"))).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(await transcriptUsageTotals(dir)).toBeUndefined();
  });
});
