// Token totals of a Claude conversation, from the usage its transcript records with each assistant message.
import { readFile, stat } from "node:fs/promises";
import { assistantUsageOf } from "./context-usage.ts";

/** Larger transcripts are not read whole for usage (the task report then has none). */
const MAX_TRANSCRIPT_BYTES = 64 * 1024 * 1024;

export interface UsageTotals {
  /** Every request's input, cache writes and reads included. */
  inputTokens: number;
  outputTokens: number;
}

/**
 * The tokens of every model answer in the transcript so far (none yet when it does not exist); undefined when it
 * cannot be read. Claude writes one line per content block of an answer, each with the answer's usage: counted
 * once per answer id (its last line).
 */
export async function transcriptUsageTotals(path: string): Promise<UsageTotals | undefined> {
  try {
    if ((await stat(path)).size > MAX_TRANSCRIPT_BYTES) return undefined;
    const byAnswer = new Map<string, UsageTotals>();
    for (const line of (await readFile(path, "utf8")).split("\n")) {
      const answer = assistantUsageOf(line);
      if (!answer?.id) continue;
      const u = answer.usage;
      byAnswer.set(answer.id, {
        inputTokens: u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens,
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
