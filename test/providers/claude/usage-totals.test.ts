// Claude's token totals from a transcript: one count per answer id, cache tokens in the input, none before it exists.
import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastContextUsage } from "../../../src/providers/claude/context-usage.ts";
import { TranscriptUsage } from "../../../src/providers/claude/usage-totals.ts";

const transcriptUsageTotals = (path: string) => new TranscriptUsage().read(path);

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

describe("TranscriptUsage", () => {
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

  test("later reads take only what was appended: a line cut at the end is read once it is whole", async () => {
    const path = transcript([answer("msg_1", 100, 10)]);
    const usage = new TranscriptUsage();
    expect(await usage.read(path)).toEqual({ inputTokens: 100, outputTokens: 10 });
    const next = answer("msg_2", 40, 4);
    appendFileSync(path, next.slice(0, 30));
    expect(await usage.read(path)).toEqual({ inputTokens: 100, outputTokens: 10 });
    // The rest of msg_2, then msg_1 again with grown usage (a later content block of the same answer).
    appendFileSync(path, `${next.slice(30)}\n${answer("msg_1", 100, 25)}\n`);
    expect(await usage.read(path)).toEqual({ inputTokens: 140, outputTokens: 29 });
  });

  test("a file that shrank or another path starts the count again; many answers still count once each", async () => {
    const lines = Array.from({ length: 200 }, (_, i) => answer(`msg_${i}`, 1, 1));
    const path = transcript(lines);
    const usage = new TranscriptUsage();
    expect(await usage.read(path)).toEqual({ inputTokens: 200, outputTokens: 200 });
    writeFileSync(path, `${answer("msg_x", 7, 3)}\n`);
    expect(await usage.read(path)).toEqual({ inputTokens: 7, outputTokens: 3 });
    expect(await usage.read(transcript([answer("msg_y", 5, 1)]))).toEqual({
      inputTokens: 5,
      outputTokens: 1,
    });
  });
});
