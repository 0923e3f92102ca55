// Confirms that delivered relay messages reached Claude's model: from UserPromptSubmit prompts (pasted turns and
// monitor notifications) and from the session transcript (text spliced into a running turn fires no hook).
import { open } from "node:fs/promises";
import { z } from "zod";
import { type Clock, sleep } from "../../util/clock.ts";
import { relayIdsIn } from "./format.ts";

/** Messages awaiting confirmation are remembered this long, then forgotten (the runner reports them ambiguous). */
const PENDING_TTL_MS = 15 * 60_000;
const MAX_TRANSCRIPT_READ = 4 * 1024 * 1024;
/** A transcript line: only its kind matters here. */
const TranscriptEntry = z.looseObject({ type: z.string() });

export class DeliveryConfirmer {
  private readonly pending = new Map<number, number>();
  private readonly confirmed = new Set<number>();
  private transcriptPath: string | undefined;
  private transcriptOffset = 0;

  constructor(
    private readonly clock: Clock,
    /** `midTurn`: the text reached the model inside a running turn (spliced between tool calls). */
    private readonly onConfirmed: (messageId: number, midTurn: boolean) => void,
  ) {}

  /** Start waiting for these ids. */
  expect(ids: number[]): void {
    const now = this.clock.now();
    for (const [id, at] of this.pending) if (now - at > PENDING_TTL_MS) this.pending.delete(id);
    for (const id of ids) if (!this.confirmed.has(id)) this.pending.set(id, now);
  }

  isConfirmed(id: number): boolean {
    return this.confirmed.has(id);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Text the model was given (a UserPromptSubmit prompt, a transcript line): confirm the pending ids in it. */
  observeText(text: string, midTurn = false): void {
    for (const id of relayIdsIn(text)) {
      if (!this.pending.delete(id)) continue;
      this.confirmed.add(id);
      // Only the recent ones matter for duplicate suppression; keep the set small.
      if (this.confirmed.size > 1_000) this.confirmed.delete(this.confirmed.values().next().value as number);
      this.onConfirmed(id, midTurn);
    }
  }

  /** Follow this transcript from its current end (a new session after /clear gets a new file). */
  async followTranscript(path: string): Promise<void> {
    if (path === this.transcriptPath) return;
    this.transcriptPath = path;
    this.transcriptOffset = 0;
  }

  /** Read what the transcript gained since the last scan and confirm from it. */
  async scanTranscript(): Promise<void> {
    const path = this.transcriptPath;
    if (!path || this.pending.size === 0) return;
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(path, "r");
      const { size } = await handle.stat();
      if (size < this.transcriptOffset) this.transcriptOffset = 0;
      const length = Math.min(size - this.transcriptOffset, MAX_TRANSCRIPT_READ);
      if (length <= 0) return;
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, this.transcriptOffset);
      // Only whole lines: a header cut in half at the end is read again next time.
      const text = buf.toString("utf8");
      const lastNl = text.lastIndexOf("\n");
      if (lastNl < 0) return;
      this.transcriptOffset += Buffer.byteLength(text.slice(0, lastNl + 1));
      for (const line of text.slice(0, lastNl).split("\n")) this.observeLine(line);
    } catch {
      // Not written yet: Claude creates the transcript with the first turn.
    } finally {
      await handle?.close();
    }
  }

  /**
   * One transcript line. A `queue-operation` line records text Claude queued, before any model saw it: never a
   * confirmation. An `attachment` line is text spliced into the running turn (a queued prompt, a monitor event).
   */
  private observeLine(line: string): void {
    if (!line.includes("[relay message #")) return;
    let entry: z.infer<typeof TranscriptEntry> | undefined;
    try {
      entry = TranscriptEntry.safeParse(JSON.parse(line)).data;
    } catch {
      return;
    }
    if (entry === undefined || entry.type === "queue-operation") return;
    this.observeText(line, entry.type === "attachment");
  }

  /** Resolve true once every id is confirmed, false at the deadline; scans the transcript meanwhile. */
  async waitFor(ids: number[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      if (ids.every((id) => this.confirmed.has(id))) return true;
      if (this.clock.now() >= deadline) return false;
      await sleep(this.clock, 100, signal);
      await this.scanTranscript();
    }
  }
}
