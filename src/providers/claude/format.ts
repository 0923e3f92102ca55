// The text a relay message becomes for Claude: a pasted turn, or one short monitor line.
import type { DeliveryItem } from "../adapter.ts";

/** `[relay message #<id> from <sender>]`: every delivery starts with it, so a slash command can never lead. */
export function messageHeader(item: DeliveryItem): string {
  return `[relay message #${item.message.id} from ${item.message.from}]`;
}

/** One message as a pasted block: header, subject, body, attachment paths. */
export function formatForPaste(item: DeliveryItem): string {
  const { message } = item;
  const lines = [messageHeader(item)];
  if (message.subject) lines.push(`Subject: ${message.subject}`);
  lines.push(message.body);
  if (item.attachmentPaths.length > 0)
    lines.push("Attachments:", ...item.attachmentPaths.map((p) => `- ${p}`));
  return lines.join("\n");
}

/** Several messages become one turn, separated by blank lines. */
export function formatDeliveriesForPaste(items: DeliveryItem[]): string {
  return items.map(formatForPaste).join("\n\n");
}

const MONITOR_LINE_MAX = 480;

/**
 * A monitor line: header, subject and a one-line preview, plus where to read the rest. Claude caps lines at
 * 500 characters and rate-limits events, so the full text stays behind `msg read`.
 */
export function formatMonitorLine(item: DeliveryItem): string {
  const { message } = item;
  const head = `${messageHeader(item)}${message.subject ? ` ${message.subject}:` : ""}`;
  const tail = ` (full text: "$AGENT_RELAY_BIN" msg read ${message.id})`;
  const room = Math.max(0, MONITOR_LINE_MAX - head.length - tail.length - 1);
  const flat = message.body.replace(/\s+/g, " ").trim();
  const preview = flat.length > room ? `${flat.slice(0, Math.max(0, room - 1))}…` : flat;
  return `${head} ${preview}${tail}`;
}

const HEADER_IDS = /\[relay message #(\d+) from /g;

/** Relay ids whose header appears in `text` (a UserPromptSubmit prompt, a transcript line). */
export function relayIdsIn(text: string): number[] {
  return [...text.matchAll(HEADER_IDS)].map((m) => Number(m[1]));
}
