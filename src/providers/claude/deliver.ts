// Delivery to Claude: the inbox socket when Claude bound it, else the monitor line when a monitor is connected and
// has budget, else a paste; one at a time.
import type { Logger } from "../../util/logger.ts";
import type { DeliveryItem, DeliveryResult } from "../adapter.ts";
import { sanitizeForPaste } from "../tmux/sanitize.ts";
import type { DeliveryConfirmer } from "./confirm.ts";
import { formatDeliveriesForPaste, formatMonitorLine } from "./format.ts";
import { boundInboxContent, type InboxLink, type InboxPriority } from "./inbox.ts";
import type { EventBudget } from "./monitor-budget.ts";
import type { ClaudeTerminal } from "./terminal.ts";

/** One operation on the pane at a time: deliveries and slash commands share this chain. */
export class Serial {
  private chain: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** The live pane a paste goes to, and whether a permission dialog is open in it (per hooks). */
export interface PasteTarget {
  terminal: ClaudeTerminal;
  asking: () => boolean;
}

/** Where a delivery goes: the pane, and the spawn's inbox when it asked Claude for one. */
export interface DeliveryTarget extends PasteTarget {
  inbox: InboxLink | undefined;
}

/** Paste text and submit it, never while a dialog is open (an Enter there approves a tool). */
export async function paste(
  target: PasteTarget,
  text: string,
  dialogWaitMs: number,
  signal: AbortSignal,
): Promise<void> {
  const checked = await target.terminal.waitForNoDialog(dialogWaitMs, target.asking, signal);
  await target.terminal.submit(text, target.asking, signal, checked);
}

export type PublishToMonitor = (item: {
  messageId: number;
  line: string;
}) => { accepted: boolean } | Promise<{ accepted: boolean }>;

export interface DeliveryDeps {
  confirmer: DeliveryConfirmer;
  budget: EventBudget;
  /** Claude's inbox drops lines past its rate limit: past it, the monitor or a paste. */
  inboxBudget: EventBudget;
  /** The monitor path, when it is live now (a monitor connected and a publisher wired). */
  monitor: () => PublishToMonitor | undefined;
  confirmTimeoutMs: number;
  dialogWaitMs: number;
  log: Logger;
}

/**
 * Hand messages over and wait (bounded) for the model to see them: `confirmed`, else `written`. `priority` is the
 * inbox's: `next` may splice them into a running turn, `later` waits for it to end (the monitor and the paste
 * cannot choose: the caller waits for the turn's end before handing them a message that must not go in mid-turn).
 */
export async function deliverTo(
  target: DeliveryTarget,
  items: DeliveryItem[],
  d: DeliveryDeps,
  priority: InboxPriority,
  signal: AbortSignal,
): Promise<DeliveryResult> {
  const ids = items.map((i) => i.message.id);
  d.confirmer.expect(ids);
  const unsent = (await tryInbox(target.inbox, items, priority, d, signal)) ? [] : await tryMonitor(items, d);
  if (unsent.length > 0) {
    try {
      await paste(target, formatDeliveriesForPaste(unsent), d.dialogWaitMs, signal);
    } catch (e) {
      // The Enter may have landed although we could not see it: a retry must never duplicate what the model got.
      if (await d.confirmer.waitFor(ids, 2_000, signal)) return { state: "confirmed" };
      throw e;
    }
  }
  const confirmed = await d.confirmer.waitFor(ids, d.confirmTimeoutMs, signal);
  return { state: confirmed ? "confirmed" : "written" };
}

/** The inbox first: true when it took the messages (one line, one turn or one splice). */
async function tryInbox(
  inbox: InboxLink | undefined,
  items: DeliveryItem[],
  priority: InboxPriority,
  d: DeliveryDeps,
  signal: AbortSignal,
): Promise<boolean> {
  if (!inbox || !(await inbox.check())) return false;
  if (!d.inboxBudget.take()) {
    d.log.info("Claude's inbox rate limit reached; trying the monitor, then a paste");
    return false;
  }
  // No terminal reads it, but Claude's screen shows it: as inert as a paste.
  const text = boundInboxContent(
    sanitizeForPaste(formatDeliveriesForPaste(items)),
    items.map((i) => i.message.id),
  );
  try {
    await inbox.send(text, priority, signal);
    return true;
  } catch (e) {
    if (signal.aborted) throw e;
    d.log.info({ err: e }, "the Claude inbox refused the delivery; trying the monitor, then a paste");
    return false;
  }
}

/** Then the monitor; returns the items it could not take (all of them when no monitor is connected). */
async function tryMonitor(items: DeliveryItem[], d: DeliveryDeps): Promise<DeliveryItem[]> {
  const publish = d.monitor();
  if (!publish) return items;
  // Claude drops monitor events beyond its rate limit; past it, paste (lines published together are one event).
  if (!d.budget.take()) return items;
  for (const [i, item] of items.entries()) {
    try {
      const r = await publish({ messageId: item.message.id, line: formatMonitorLine(item) });
      if (!r.accepted) return items.slice(i);
    } catch (e) {
      d.log.info({ err: e }, "monitor delivery refused; pasting instead");
      return items.slice(i);
    }
  }
  return [];
}
