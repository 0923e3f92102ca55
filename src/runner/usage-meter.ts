// What the agent has used in all: tokens and cost summed over its conversations and restarts, kept on disk so a
// restarted runner goes on counting (and a budget is not reset by a restart).
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";

/** Running figures a provider reports for one conversation (cumulative: each report replaces the last). */
export interface UsageFigures {
  inputTokens: number;
  outputTokens: number;
  /** Where the provider computes it (Claude Code); otherwise the meter prices tokens with `--token-price`. */
  costUsd?: number;
}

/** USD per million tokens. */
export interface TokenPrice {
  inputUsdPerMtok: number;
  outputUsdPerMtok: number;
}

export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  /** Absent while nothing could be priced (no cost from the provider and no --token-price). */
  costUsd?: number;
  maxCostUsd?: number;
}

const Figures = z.object({
  inputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
  costUsd: z.number().nonnegative().optional(),
});
const Saved = z.object({ totals: Figures, last: z.record(z.string(), Figures) });

/** Conversations whose last report is remembered (older ones are over: a restart resumes the newest). */
const KEPT_CONVERSATIONS = 8;

export interface UsageMeterOptions {
  price?: TokenPrice;
  maxCostUsd?: number;
  /** Where the totals are kept between runs; none: in memory only. */
  path?: string;
}

/** The meter a runner's config asks for: its budget, and its token price unless the provider reports its cost. */
export function usageMeterFor(
  config: { tokenPrice?: TokenPrice; maxCostUsd?: number },
  adapter: { reportsCost?: boolean },
  path?: string,
): UsageMeter {
  const price = adapter.reportsCost ? undefined : config.tokenPrice;
  return new UsageMeter({ price, maxCostUsd: config.maxCostUsd, path });
}

export class UsageMeter {
  private totals: UsageFigures = { inputTokens: 0, outputTokens: 0 };
  private last = new Map<string, UsageFigures>();
  private saving: Promise<void> = Promise.resolve();
  private writeQueued = false;

  constructor(private readonly o: UsageMeterOptions = {}) {}

  /** Totals from an earlier run of this agent, if its file is there and sound. */
  async load(): Promise<void> {
    if (!this.o.path) return;
    try {
      const saved = Saved.parse(JSON.parse(await readFile(this.o.path, "utf8")));
      this.totals = saved.totals;
      this.last = new Map(Object.entries(saved.last));
    } catch {
      // Missing or unreadable: count from zero.
    }
  }

  /**
   * A conversation's running figures. Only growth counts: a figure below the last one means the provider started
   * counting again (a new process), so the whole new figure is growth.
   */
  report(conversation: string, now: UsageFigures): boolean {
    const before = this.last.get(conversation);
    const grew = (key: keyof UsageFigures) => {
      const was = before?.[key] ?? 0;
      const is = now[key] ?? 0;
      return is >= was ? is - was : is;
    };
    const input = grew("inputTokens");
    const output = grew("outputTokens");
    let cost: number | undefined;
    if (now.costUsd !== undefined) cost = grew("costUsd");
    else if (this.o.price)
      cost = (input * this.o.price.inputUsdPerMtok + output * this.o.price.outputUsdPerMtok) / 1e6;
    this.last.delete(conversation);
    this.last.set(conversation, now);
    while (this.last.size > KEPT_CONVERSATIONS) this.last.delete(this.last.keys().next().value as string);
    if (input === 0 && output === 0 && !cost) return false;
    this.totals = {
      inputTokens: this.totals.inputTokens + input,
      outputTokens: this.totals.outputTokens + output,
      ...(cost !== undefined || this.totals.costUsd !== undefined
        ? { costUsd: (this.totals.costUsd ?? 0) + (cost ?? 0) }
        : {}),
    };
    void this.save();
    return true;
  }

  get usage(): AgentUsage {
    return { ...this.totals, ...(this.o.maxCostUsd !== undefined ? { maxCostUsd: this.o.maxCostUsd } : {}) };
  }

  /** Whether the agent spent its budget (`--max-cost-usd`). */
  get budgetReached(): boolean {
    return this.o.maxCostUsd !== undefined && (this.totals.costUsd ?? 0) >= this.o.maxCostUsd;
  }

  /** Resolves once everything reported so far is on disk. */
  flush(): Promise<void> {
    return this.saving;
  }

  private save(): Promise<void> {
    const path = this.o.path;
    if (!path || this.writeQueued) return this.saving;
    // One write at a time; reports that come while one is queued ride on it (it writes the figures of its turn).
    this.writeQueued = true;
    this.saving = this.saving.then(async () => {
      this.writeQueued = false;
      const body = JSON.stringify({ totals: this.totals, last: Object.fromEntries(this.last) });
      try {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        const tmp = `${path}.${process.pid}.tmp`;
        await writeFile(tmp, `${body}\n`, { mode: 0o600 });
        await rename(tmp, path);
      } catch {
        // The figures stay in memory; the next report writes them again.
      }
    });
    return this.saving;
  }
}
