// Context use for the heartbeat, read from the usage Claude records with each assistant message in its transcript.
import { open } from "node:fs/promises";
import { z } from "zod";

const TAIL_BYTES = 256 * 1024;

export interface ContextUsage {
  /** Tokens the last request carried (input incl. cache) plus its output: what the next request starts from. */
  usedTokens: number;
}

// A count of the wrong type reads as 0, so a format change in one field never hides the others.
const count = z.number().nonnegative().catch(0);

/** The part of a transcript's assistant line that carries the request's token usage. */
const AssistantUsageLine = z.object({
  message: z.object({
    id: z.string().optional(),
    usage: z.object({
      input_tokens: count,
      cache_creation_input_tokens: count,
      cache_read_input_tokens: count,
      output_tokens: count,
    }),
  }),
});
export type AssistantUsage = z.infer<typeof AssistantUsageLine>["message"];

/** The answer id and token usage an assistant line of a transcript carries; undefined for any other line. */
export function assistantUsageOf(line: string): AssistantUsage | undefined {
  if (!line.includes('"type":"assistant"') || !line.includes('"usage"')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    // A line cut in half (the first of a tail read): not a usage line.
    return undefined;
  }
  const parsed = AssistantUsageLine.safeParse(json);
  return parsed.success ? parsed.data.message : undefined;
}

/** The usage of the last assistant message in the transcript, or undefined when there is none yet. */
export async function lastContextUsage(transcriptPath: string): Promise<ContextUsage | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(transcriptPath, "r");
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    const lines = buf.toString("utf8").split("\n");
    for (let i = lines.length - 1; i >= 0; i--) {
      const u = assistantUsageOf(lines[i] as string)?.usage;
      if (!u) continue;
      return {
        usedTokens:
          u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens + u.output_tokens,
      };
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** Claude's context window for a model id as Claude reports it (`…[1m]` = the 1M-token window), when known. */
export function contextWindowOf(model: string | undefined): number | undefined {
  return model?.endsWith("[1m]") ? 1_000_000 : undefined;
}
