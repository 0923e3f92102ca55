// Token totals of a Claude conversation, from the usage its transcript records with each assistant message.
import { readFile, stat } from "node:fs/promises";
import { z } from "zod";

/** Larger transcripts are not read whole for usage (the task report then has none). */
const MAX_TRANSCRIPT_BYTES = 64 * 1024 * 1024;

const count = z.number().nonnegative().catch(0);
const UsageLine = z.object({
  message: z.object({
    id: z.string(),
    usage: z.object({
      input_tokens: count,
      cache_creation_input_tokens: count.optional(),
      cache_read_input_tokens: count.optional(),
      output_tokens: count,
    }),
  }),
});

export interface UsageTotals {
  /** Every request's input, cache writes and reads included. */
  inputTokens: number;
  outputTokens: number;
}

/**
 * The tokens of every model answer in the transcript so far (none yet when it does not exist); undefined when it
 * cannot be read. Claude writes one
 * line per content block of an answer, each with the answer's usage: counted once per answer id (the last line).
 */
export async function transcriptUsageTotals(path: string): Promise<UsageTotals | undefined> {
  try {
    if ((await stat(path)).size > MAX_TRANSCRIPT_BYTES) return undefined;
    const byAnswer = new Map<string, UsageTotals>();
    for (const line of (await readFile(path, "utf8")).split("\n")) {
      if (!line.includes('"type":"assistant"') || !line.includes('"usage"')) continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        continue;
      }
      const parsed = UsageLine.safeParse(json);
      if (!parsed.success) continue;
      const { id, usage: u } = parsed.data.message;
      byAnswer.set(id, {
        inputTokens: u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0),
        outputTokens: u.output_tokens,
      });
    }
    let inputTokens = 0;
    let outputTokens = 0;
    for (const u of byAnswer.values()) {
      inputTokens += u.inputTokens;
      outputTokens += u.outputTokens;
    }
    return { inputTokens, outputTokens };
  } catch (e) {
    // Claude creates the transcript with the conversation's first message: nothing used yet.
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? { inputTokens: 0, outputTokens: 0 } : undefined;
  }
}
