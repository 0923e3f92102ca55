// Context use for the heartbeat, read from the usage Claude records with each assistant message in its transcript.
import { open } from "node:fs/promises";

const TAIL_BYTES = 256 * 1024;

export interface ContextUsage {
  /** Tokens the last request carried (input incl. cache) plus its output: what the next request starts from. */
  usedTokens: number;
}

interface Usage {
  input_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  output_tokens?: number;
}

const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

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
      const line = lines[i] as string;
      if (!line.includes('"type":"assistant"') || !line.includes('"usage"')) continue;
      try {
        const usage = (JSON.parse(line) as { message?: { usage?: Usage } }).message?.usage;
        if (!usage) continue;
        const usedTokens =
          n(usage.input_tokens) +
          n(usage.cache_creation_input_tokens) +
          n(usage.cache_read_input_tokens) +
          n(usage.output_tokens);
        return { usedTokens };
      } catch {
        // The first line of the tail may be cut in half: skip it.
      }
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
