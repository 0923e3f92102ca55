// A live spawn: its end (once, `exited` after cleanup) and its background watch: its exit, a turn that ended without a Stop hook (Esc), context usage.
import { type Clock, sleep } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { AdapterEventBody, ProviderExit } from "../adapter.ts";
import type { DeliveryConfirmer } from "./confirm.ts";
import { contextWindowOf, lastContextUsage } from "./context-usage.ts";
import { watchPidExit } from "./exit-watch.ts";
import type { Conversation, TurnState } from "./hooks.ts";
import type { InboxLink } from "./inbox.ts";
import type { Live } from "./lifecycle.ts";
import type { ClaudeTerminal } from "./terminal.ts";

const TICK_MS = 500;
/** How long Claude may sit idle in a hook-busy turn before the turn counts as ended without its Stop hook. */
const SILENT_END_MS = 2_000;

export interface WatchDeps {
  terminal: ClaudeTerminal;
  clock: Clock;
  confirmer: DeliveryConfirmer;
  log: Logger;
  /** Per hooks, a turn is running. */
  busy: () => boolean;
  /** Claude went idle without a Stop hook: end the turn. */
  endTurnSilently: () => void;
  /** The transcript and model, for context usage. */
  conversation: () => { transcriptPath?: string; model?: string };
  onContextUsage: (usedTokens: number, maxTokens: number | undefined) => void;
  /** Called once with how claude ended; the watch stops then. */
  onExit: (exit: ProviderExit) => void;
}

/** Watch until `signal` aborts or claude exits. Death is noticed within ~50 ms; the slower tick is the fallback. */
export function watchClaude(d: WatchDeps, signal: AbortSignal): void {
  let reported = false;
  const exit = (exitCode: number | null) => {
    if (reported || signal.aborted) return;
    reported = true;
    d.onExit({ exitCode, signal: exitCode === null ? "unknown" : null });
  };
  const paneExit = async () => {
    const s = await d.terminal.paneStatus().catch(() => undefined);
    exit(s?.state === "dead" ? s.exitCode : null);
  };
  watchPidExit(d.terminal.pane.pid, d.clock, signal, () => void paneExit());
  void (async () => {
    let idleSince: number | undefined;
    let ticks = 0;
    let lastUsedTokens: number | undefined;
    while (!signal.aborted && !reported) {
      try {
        await sleep(d.clock, TICK_MS, signal);
      } catch {
        return;
      }
      try {
        const status = await d.terminal.paneStatus().catch(() => undefined);
        if (status && status.state !== "running") {
          exit(status.state === "dead" ? status.exitCode : null);
          return;
        }
        const activity = await d.terminal.activity();
        void d.confirmer.scanTranscript();
        if (ticks++ % 6 === 0) await d.terminal.rememberTree().catch(() => {});
        if (activity !== "busy" && ticks % 4 === 0) {
          const usage = await contextUsageChange(d.conversation(), lastUsedTokens);
          if (usage) {
            lastUsedTokens = usage.usedTokens;
            d.onContextUsage(usage.usedTokens, usage.maxTokens);
          }
        }
        if (d.busy() && activity === "idle") {
          idleSince ??= d.clock.now();
          // Give the Stop hook time to arrive first; only a turn that ended silently needs this.
          if (d.clock.now() - idleSince > SILENT_END_MS) d.endTurnSilently();
        } else idleSince = undefined;
      } catch (e) {
        d.log.warn({ err: e }, "claude watcher tick failed");
      }
    }
  })();
}

/** The transcript's last recorded usage when it differs from `last` (Claude writes it after each turn). */
async function contextUsageChange(
  conv: { transcriptPath?: string; model?: string },
  last: number | undefined,
): Promise<{ usedTokens: number; maxTokens: number | undefined } | undefined> {
  if (!conv.transcriptPath) return undefined;
  const usage = await lastContextUsage(conv.transcriptPath);
  if (!usage || usage.usedTokens === last) return undefined;
  return { usedTokens: usage.usedTokens, maxTokens: contextWindowOf(conv.model) };
}

/** A spawn's end, run once whoever notices it first (the watch, shutdown): `exited` resolves after `finish`. */
export function endOnce(finish: () => Promise<void>): {
  end(exit: ProviderExit): Promise<ProviderExit>;
  exited: Promise<ProviderExit>;
} {
  let resolve!: (exit: ProviderExit) => void;
  const exited = new Promise<ProviderExit>((r) => {
    resolve = r;
  });
  let ending = false;
  return {
    exited,
    end(exit) {
      if (!ending) {
        ending = true;
        // `exited` never rejects: a failed cleanup is the finisher's to log.
        void finish()
          .catch(() => {})
          .then(() => resolve(exit));
      }
      return exited;
    },
  };
}

export interface LiveDeps {
  clock: Clock;
  confirmer: DeliveryConfirmer;
  log: Logger;
  conversation: () => Conversation;
  emit: (e: AdapterEventBody) => void;
  /** Kill the pane and everything claude left behind (monitor, hooks). */
  destroy: () => Promise<void>;
  /** The watch saw claude exit; `live.end` is called right after. */
  onExit: (live: Live, exit: ProviderExit) => void;
  onContextUsage: (usedTokens: number) => void;
}

/** A started spawn made live: its end armed once, and the watch that reports an exit from outside through it. */
export function startLive(
  spawn: { providerSessionId: string; turn: TurnState },
  terminal: ClaudeTerminal,
  inbox: InboxLink | undefined,
  d: LiveDeps,
): Live {
  const watch = new AbortController();
  const { end, exited } = endOnce(async () => {
    watch.abort();
    await d.destroy().catch((e) => d.log.warn({ err: e }, "claude cleanup failed"));
  });
  const live: Live = {
    providerSessionId: spawn.providerSessionId,
    turn: spawn.turn,
    terminal,
    inbox,
    end,
    exited,
  };
  watchClaude(
    {
      terminal,
      clock: d.clock,
      confirmer: d.confirmer,
      log: d.log,
      busy: () => live.turn === "busy",
      endTurnSilently: () => {
        live.turn = "idle";
        d.emit({ type: "turn.completed" });
      },
      conversation: d.conversation,
      onContextUsage: (usedTokens, maxTokens) => {
        d.onContextUsage(usedTokens);
        d.emit({ type: "context.usage", usedTokens, ...(maxTokens ? { maxTokens } : {}) });
      },
      onExit: (exit) => {
        d.onExit(live, exit);
        void live.end(exit);
      },
    },
    watch.signal,
  );
  return live;
}
