// Token totals of a Claude conversation, from the usage its transcript records with each assistant message. Read
// incrementally: each call reads only what Claude appended since the last one.
import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { assistantUsageOf } from "./context-usage.ts";

export interface UsageTotals {
  /** Every request's input, cache writes and reads included. */
  inputTokens: number;
  outputTokens: number;
}

/** Answers whose usage may still change (Claude writes one line per content block, each with the answer's usage). */
const OPEN_ANSWERS = 64;
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The tokens of every model answer in one transcript so far, counted once per answer id (its last line wins). A new
 * path, or a file that shrank, starts the count again.
 */
export class TranscriptUsage {
  private path: string | undefined;
  private offset = 0;
  private partial = "";
  /** Keeps a character cut by a chunk's end for the next chunk. */
  private decoder = new StringDecoder("utf8");
  private settled: UsageTotals = { inputTokens: 0, outputTokens: 0 };
  private readonly open = new Map<string, UsageTotals>();
  private reading: Promise<UsageTotals | undefined> = Promise.resolve(undefined);

  /** Totals as of now (none used yet when the file does not exist); undefined when it cannot be read. */
  read(path: string): Promise<UsageTotals | undefined> {
    // One read at a time: the offset is shared.
    this.reading = this.reading.then(() => this.readMore(path));
    return this.reading;
  }

  private async readMore(path: string): Promise<UsageTotals | undefined> {
    if (path !== this.path) this.reset(path);
    let file: Awaited<ReturnType<typeof open>>;
    try {
      file = await open(path, "r");
    } catch (e) {
      // Claude creates the transcript with the conversation's first message: nothing used yet.
      return (e as NodeJS.ErrnoException).code === "ENOENT" ? { inputTokens: 0, outputTokens: 0 } : undefined;
    }
    try {
      const { size } = await file.stat();
      if (size < this.offset) this.reset(path);
      const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(0, size - this.offset)));
      while (this.offset < size) {
        const { bytesRead } = await file.read(
          buffer,
          0,
          Math.min(buffer.length, size - this.offset),
          this.offset,
        );
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.take(this.decoder.write(buffer.subarray(0, bytesRead)));
      }
      return this.totals();
    } catch {
      return undefined;
    } finally {
      await file.close();
    }
  }

  private take(text: string): void {
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      const answer = assistantUsageOf(line);
      if (!answer?.id) continue;
      const u = answer.usage;
      this.open.delete(answer.id);
      this.open.set(answer.id, {
        inputTokens: u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens,
        outputTokens: u.output_tokens,
      });
      if (this.open.size > OPEN_ANSWERS) {
        const [oldest, usage] = this.open.entries().next().value as [string, UsageTotals];
        this.open.delete(oldest);
        this.settled = add(this.settled, usage);
      }
    }
  }

  private totals(): UsageTotals {
    let sum = this.settled;
    for (const u of this.open.values()) sum = add(sum, u);
    return sum;
  }

  private reset(path: string): void {
    this.path = path;
    this.offset = 0;
    this.partial = "";
    this.decoder = new StringDecoder("utf8");
    this.settled = { inputTokens: 0, outputTokens: 0 };
    this.open.clear();
  }
}

function add(a: UsageTotals, b: UsageTotals): UsageTotals {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}
