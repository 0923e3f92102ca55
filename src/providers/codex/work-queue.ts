// Work waiting for the Codex thread to go idle: turns (merged when consecutive) and compactions, withdrawable until taken.
import { RunnerError } from "../../util/errors.ts";

export type WorkKind = "turn" | "compact";

/** One unit handed to Codex; settling it settles every caller merged into it. */
export interface Work {
  kind: WorkKind;
  text: string;
  /** Relay message ids the text carries (confirmed once Codex records the user message). */
  messageIds: number[];
  resolve(): void;
  reject(error: unknown): void;
}

interface Entry extends Work {
  signal: AbortSignal;
  onAbort: () => void;
}

export class WorkQueue {
  private readonly entries: Entry[] = [];

  get length(): number {
    return this.entries.length;
  }

  /** Resolves or rejects when the work it becomes is settled; aborting withdraws it while still queued. */
  push(kind: WorkKind, text: string, messageIds: number[], signal: AbortSignal): Promise<void> {
    if (signal.aborted)
      return Promise.reject(new RunnerError("ABORTED", `${kind} aborted`, { cause: signal.reason }));
    return new Promise((resolve, reject) => {
      const entry: Entry = {
        kind,
        text,
        messageIds,
        signal,
        resolve: () => {
          signal.removeEventListener("abort", entry.onAbort);
          resolve();
        },
        reject: (error) => {
          signal.removeEventListener("abort", entry.onAbort);
          reject(error);
        },
        onAbort: () => {
          const at = this.entries.indexOf(entry);
          // Once taken it is Codex's; only queued work can be withdrawn.
          if (at < 0) return;
          this.entries.splice(at, 1);
          entry.reject(new RunnerError("ABORTED", `${kind} aborted while queued`, { cause: signal.reason }));
        },
      };
      signal.addEventListener("abort", entry.onAbort, { once: true });
      this.entries.push(entry);
    });
  }

  /** The next work: a compaction alone, or every consecutive turn at the front merged into one. */
  takeNext(): Work | undefined {
    const first = this.entries.shift();
    if (!first || first.kind === "compact") return first;
    const merged: Entry[] = [first];
    while (this.entries[0]?.kind === "turn") merged.push(this.entries.shift() as Entry);
    if (merged.length === 1) return first;
    return {
      kind: "turn",
      text: merged.map((e) => e.text).join("\n\n"),
      messageIds: merged.flatMap((e) => e.messageIds),
      resolve: () => {
        for (const e of merged) e.resolve();
      },
      reject: (error) => {
        for (const e of merged) e.reject(error);
      },
    };
  }

  rejectAll(error: unknown): void {
    for (const e of this.entries.splice(0)) e.reject(error);
  }
}
