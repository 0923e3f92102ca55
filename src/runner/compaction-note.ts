// After the provider compacts its context: the system note restating the current task and the relay instructions, once.
import type { Logger } from "pino";
import type { ProviderAdapter, ProviderEvent } from "../providers/adapter.ts";
import { composeRelayInstructions } from "../providers/relay-instructions.ts";
import type { Clock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";

/** The task the agent holds now, as the note names it. */
export interface NoteTask {
  id: number;
  title?: string;
}

export const NOTE_HEADER =
  "[system note from the agent-relay runner: your context was compacted; this restates what you are doing. It is not a message to answer.]";

const TITLE_MAX = 300;

/** The note's text: the current task (or that there is none), how to report it, then the relay instructions. */
export function compactionNoteText(task: NoteTask | undefined, instructions: string): string {
  const lines = [NOTE_HEADER];
  if (task) {
    // The title is relay data: one line, no control characters, bounded.
    const title = task.title
      ?.replace(/[\p{Cc}\p{Cf}]+/gu, " ")
      .trim()
      .slice(0, TITLE_MAX);
    lines.push(
      `Your current task: #${task.id}${title ? ` "${title}"` : ""} (still in progress).`,
      `When it ends, report its outcome with: "$AGENT_RELAY_BIN" task done|partial|fail ${task.id} --summary "<what you did and what changed>"`,
      "(done: complete; partial: some of it is done; fail: it could not be done — say why).",
    );
  } else {
    lines.push("You have no relay task in progress.");
  }
  lines.push("", "Relay instructions:", instructions);
  return lines.join("\n");
}

export interface CompactionNotesOptions {
  clock: Clock;
  logger: Logger;
  instructions: string;
  /** The task the agent works on now, if any (undefined: none). May ask the relay; bounded by `signal`. */
  currentTask: (signal: AbortSignal) => Promise<NoteTask | undefined>;
  /**
   * Providers that take a note into their context without a turn (Codex: thread/inject_items) get it here when a
   * compaction completes. Without it (Claude) the note is fetched by the provider's own hook (`take`).
   */
  inject?: (text: string, signal: AbortSignal) => Promise<void>;
  /** Bound on the task lookup (default 1.5 s: Claude's hook waits for the answer). */
  lookupTimeoutMs?: number;
}

/**
 * Once per compaction: `compaction.started` arms one note, and the first `take` (or the inject after
 * `compaction.completed`) uses it. A compaction whose start was never seen (a lost hook) still gets its note, unless
 * one was given within DEDUPE_MS — the same compaction reported twice.
 */
export class CompactionNotes {
  static readonly DEDUPE_MS = 30_000;
  private armed = false;
  private lastIssuedAt: number | undefined;

  constructor(private readonly o: CompactionNotesOptions) {}

  /** Every event of the current provider session. */
  observe(e: Pick<ProviderEvent, "type">): void {
    if (e.type === "compaction.started") this.armed = true;
    else if (e.type === "compaction.completed" && this.o.inject) void this.injectNow();
  }

  /** The note for this compaction, or undefined when it was already given. */
  async take(signal?: AbortSignal): Promise<string | undefined> {
    if (!this.claim()) return undefined;
    const timeout = AbortSignal.timeout(this.o.lookupTimeoutMs ?? 1_500);
    const task = await this.o
      .currentTask(signal ? AbortSignal.any([signal, timeout]) : timeout)
      .catch((e) => {
        this.o.logger.warn({ err: errorMessage(e) }, "current task lookup failed; note without its title");
        return undefined;
      });
    return compactionNoteText(task, this.o.instructions);
  }

  private claim(): boolean {
    const now = this.o.clock.now();
    const recent = this.lastIssuedAt !== undefined && now - this.lastIssuedAt < CompactionNotes.DEDUPE_MS;
    if (!this.armed && recent) return false;
    this.armed = false;
    this.lastIssuedAt = now;
    return true;
  }

  private async injectNow(): Promise<void> {
    const text = await this.take();
    if (text === undefined || !this.o.inject) return;
    try {
      await this.o.inject(text, AbortSignal.timeout(10_000));
      this.o.logger.info("compaction note injected");
    } catch (e) {
      this.o.logger.warn({ err: errorMessage(e) }, "could not inject the compaction note");
    }
  }
}

/** The current task: the most recently taken one the runner holds, with its title from the relay when it answers. */
export function currentTaskSource(
  held: () => { taskId: number }[],
  getTask: (id: number, o: { signal: AbortSignal }) => Promise<{ title: string }>,
): (signal: AbortSignal) => Promise<NoteTask | undefined> {
  return async (signal) => {
    const last = held().at(-1);
    if (!last) return undefined;
    try {
      const task = await getTask(last.taskId, { signal });
      return { id: last.taskId, title: task.title };
    } catch {
      return { id: last.taskId };
    }
  };
}

export interface CompactionNoteParts {
  clock: Clock;
  log: Logger;
  /** Its `systemPromptAppend` (the operator's addition) is part of the relay instructions the agent started with. */
  config: { systemPromptAppend?: string | undefined };
  adapter: Pick<ProviderAdapter, "injectSystemNote">;
  tasks: { held: () => { taskId: number }[] };
  http: { getTask: (id: number, o: { signal: AbortSignal }) => Promise<{ title: string }> };
  control: { setCompactionNote: (source: (signal: AbortSignal) => Promise<string | undefined>) => void };
}

/**
 * The runner's compaction notes: injected by adapters that can (Codex), else answered to the provider's own
 * post-compaction hook through the control server (Claude's SessionStart with source `compact`).
 */
export function wireCompactionNotes(p: CompactionNoteParts): CompactionNotes {
  const inject = p.adapter.injectSystemNote?.bind(p.adapter);
  const notes = new CompactionNotes({
    clock: p.clock,
    logger: p.log,
    instructions: composeRelayInstructions(p.config.systemPromptAppend),
    currentTask: currentTaskSource(
      () => p.tasks.held(),
      (id, o) => p.http.getTask(id, o),
    ),
    ...(inject ? { inject } : {}),
  });
  if (!inject) p.control.setCompactionNote((signal) => notes.take(signal));
  return notes;
}
