// Delivery confirmation: from prompts and from the transcript, each id once, and only ids that were delivered.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeliveryConfirmer } from "../../../src/providers/claude/confirm.ts";
import { lastContextUsage } from "../../../src/providers/claude/context-usage.ts";
import { transcriptHasConversation } from "../../../src/providers/claude/session-file.ts";
import { systemClock } from "../../../src/util/clock.ts";
import { ManualClock } from "../../support/manual-clock.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "claude-confirm-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("DeliveryConfirmer", () => {
  test("a prompt naming delivered ids confirms each of them exactly once; unknown ids are ignored", () => {
    const confirmed: number[] = [];
    const c = new DeliveryConfirmer(new ManualClock(), (id) => confirmed.push(id));
    c.expect([7, 8]);
    c.observeText("<event>[relay message #7 from alice] hi</event> [relay message #99 from bob]");
    c.observeText("[relay message #7 from alice] again");
    expect(confirmed).toEqual([7]);
    expect(c.pendingCount).toBe(1);
    c.observeText("[relay message #8 from carol]\nbody");
    expect(confirmed).toEqual([7, 8]);
    expect(c.isConfirmed(8)).toBe(true);
  });

  test("text spliced into a running turn (no hook) is confirmed from the transcript, read incrementally", async () => {
    const confirmed: number[] = [];
    const c = new DeliveryConfirmer(systemClock, (id) => confirmed.push(id));
    const transcript = join(dir, "s.jsonl");
    await writeFile(transcript, '{"type":"user","message":{"content":"[relay message #1 from a]"}}\n');
    await c.followTranscript(transcript);
    c.expect([2]);
    await c.scanTranscript();
    expect(confirmed).toEqual([]);
    // A line still being written is not read until it is whole.
    await appendFile(
      transcript,
      '{"type":"system","content":"The user sent a new message: [relay message #2 fr',
    );
    await c.scanTranscript();
    expect(confirmed).toEqual([]);
    await appendFile(transcript, 'om b]"}\n');
    expect(await c.waitFor([2], 2_000)).toBe(true);
    expect(confirmed).toEqual([2]);
  });

  test("Claude's queue record of a message is no confirmation; the splice into the running turn is, as mid-turn", async () => {
    const confirmed: Array<[number, boolean]> = [];
    const c = new DeliveryConfirmer(systemClock, (id, midTurn) => confirmed.push([id, midTurn]));
    const transcript = join(dir, "s.jsonl");
    await writeFile(transcript, "");
    await c.followTranscript(transcript);
    c.expect([3, 4]);
    // Written the moment a message is queued (Claude 2.1.330), long before a model request carries it.
    const queued = (id: number) =>
      `{"type":"queue-operation","operation":"enqueue","content":"[relay message #${id} from a]\\nhi"}\n`;
    await appendFile(transcript, queued(3) + queued(4));
    await c.scanTranscript();
    expect(confirmed).toEqual([]);
    await appendFile(
      transcript,
      '{"attachment":{"type":"queued_command","prompt":"[relay message #3 from a]"},"type":"attachment"}\n' +
        '{"type":"user","message":{"role":"user","content":"[relay message #4 from a]"}}\n',
    );
    await c.scanTranscript();
    expect(confirmed).toEqual([
      [3, true],
      [4, false],
    ]);
  });

  test("waitFor answers false at its deadline when the model never saw the message", async () => {
    const clock = new ManualClock();
    const c = new DeliveryConfirmer(clock, () => {});
    c.expect([5]);
    const result = c.waitFor([5], 1_000);
    await clock.advance(1_100);
    expect(await result).toBe(false);
  });
});

describe("transcript readers", () => {
  test("only a transcript with messages can be resumed, and its last usage is the context in use", async () => {
    const transcript = join(dir, "t.jsonl");
    await writeFile(transcript, '{"type":"mode","mode":"normal"}\n');
    expect(await transcriptHasConversation(transcript)).toBe(false);
    expect(await transcriptHasConversation(join(dir, "missing.jsonl"))).toBe(false);
    expect(await lastContextUsage(transcript)).toBeUndefined();
    const assistant = (input: number) =>
      `${JSON.stringify({ type: "assistant", message: { usage: { input_tokens: input, cache_read_input_tokens: 50, output_tokens: 5 } } })}\n`;
    await appendFile(
      transcript,
      `{"type":"user","message":{"content":"hi"}}\n${assistant(1_000)}${assistant(2_000)}`,
    );
    expect(await transcriptHasConversation(transcript)).toBe(true);
    expect(await lastContextUsage(transcript)).toEqual({ usedTokens: 2_055 });
  });
});
