// How the messaging CLI prints relay entities: one short line for lists, a full view for one item.
import type { Command, Message, Task } from "../protocol/index.ts";

const PREVIEW_CHARS = 80;

/** Newlines and control characters out, so one message is always one line (and cannot drive a terminal). */
function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Control characters other than newline and tab are shown as U+FFFD, so a message body cannot send escapes. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "\ufffd");
}

/** "#12 alice → bob [claimable] (subject) preview…" */
export function messageLine(m: Message): string {
  const flags = [m.claimable ? "claimable" : "", m.payload.replyRequired === true ? "reply-required" : ""]
    .filter(Boolean)
    .join(",");
  const subject = m.subject ? `(${oneLine(m.subject, 60)}) ` : "";
  return `#${m.id} ${m.from} → ${m.to}${flags ? ` [${flags}]` : ""} ${subject}${oneLine(m.body, PREVIEW_CHARS)}`;
}

/** Headers, a blank line, then the body in full. */
export function messageFull(m: Message): string {
  const head = [`Message: #${m.id}`, `From: ${m.from}`, `To: ${m.to}`, `Kind: ${m.kind}`];
  head.push(`Date: ${new Date(m.createdAt).toISOString()}`);
  if (m.subject) head.push(`Subject: ${oneLine(m.subject, 1000)}`);
  if (m.replyTo !== undefined) head.push(`Reply-To: #${m.replyTo}`);
  if (typeof m.payload.taskId === "number") head.push(`Task: #${m.payload.taskId}`);
  if (m.payload.replyRequired === true) head.push("Reply-Required: yes");
  if (m.claimable) head.push(`Claimable: yes${m.claimedBy ? ` (claimed by ${m.claimedBy})` : ""}`);
  for (const a of m.attachments) {
    head.push(`Attachment: ${oneLine(a.name, 200)} (${a.mimeType}, ${a.size} bytes, id ${a.id})`);
  }
  if (m.reactions.length)
    head.push(`Reactions: ${m.reactions.map((r) => `${r.reaction} by ${r.agentId}`).join(", ")}`);
  // A recipient that can never deliver it says why (the reason is the recipient's own text: one clean line).
  for (const r of m.receipts ?? [])
    head.push(`Receipt: ${r.state} by ${r.agentId}${r.reason ? `: ${oneLine(r.reason, 500)}` : ""}`);
  return `${head.join("\n")}\n\n${printable(m.body)}`;
}

export function taskFull(t: Task): string {
  const head = [`Task: #${t.id}`, `Title: ${oneLine(t.title, 1000)}`, `Status: ${t.status}`];
  if (t.assignee) head.push(`Assignee: ${t.assignee}`);
  const history = t.history.map(
    (h) =>
      `  ${new Date(h.at).toISOString()} ${h.status} by ${h.agentId}${h.body ? `: ${oneLine(h.body, 200)}` : ""}`,
  );
  const body = t.body ? `\n\n${printable(t.body)}` : "";
  return `${head.join("\n")}${history.length ? `\nHistory:\n${history.join("\n")}` : ""}${body}`;
}

/** "<id> <status>" plus the error or result when there is one. */
export function commandLine(c: Command): string {
  if (c.error) return `${c.id} ${c.status}: ${oneLine(c.error, 500)}`;
  if (c.result !== undefined) return `${c.id} ${c.status} ${JSON.stringify(c.result)}`;
  return `${c.id} ${c.status}`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}
