// The one-line pointer a monitor prints for a relay message, and the parser that finds those pointers in a prompt.
// Producer and parser live together so a confirmed delivery (UserPromptSubmit) always recognises what was sent.
import type { Message } from "../protocol/index.ts";
import { MAX_MONITOR_LINE, toMonitorLine } from "./monitor-line.ts";

export interface DeliveryLineOptions {
  /** How the model reads the full text, e.g. "agent-relay-runner msg read". The id is appended. */
  readCommand?: string;
}

const MARKER = "[relay message #";

/**
 * `[relay message #42 from alice] Subject: preview… (full text: agent-relay-runner msg read 42)`, made inert and
 * capped at 500 characters; the preview is shortened first so the id and the read command always survive.
 */
export function formatDeliveryLine(message: Message, options: DeliveryLineOptions = {}): string {
  const head = toMonitorLine(`${MARKER}${message.id} from ${message.from}]`, 200);
  const tail = ` (full text: ${toMonitorLine(options.readCommand ?? "agent-relay-runner msg read", 200)} ${message.id})`;
  const subject = message.subject ? ` ${toMonitorLine(message.subject, 120)}:` : "";
  const room = MAX_MONITOR_LINE - head.length - subject.length - tail.length - 1;
  const preview = room > 1 ? toMonitorLine(message.body, room) : "";
  return toMonitorLine(`${head}${subject} ${preview}${tail}`);
}

/** Relay message ids whose delivery lines appear in `prompt` (a monitor event or pasted text), in order, once each. */
export function messageIdsInPrompt(prompt: string): number[] {
  const ids = new Set<number>();
  for (const m of prompt.matchAll(/\[relay message #(\d{1,15}) from /g)) ids.add(Number(m[1]));
  return [...ids];
}
