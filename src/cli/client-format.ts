// How the messaging CLI prints relay entities: one short line for lists, a full view for one item.
import { type Command, describeOutcome, formatDuration, type Message, type Task } from "../protocol/index.ts";
import { sanitizeForPaste } from "../providers/tmux/sanitize.ts";

const PREVIEW_CHARS = 80;

/** Newlines and control characters out, so one header or list entry is always one line. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** "#12 alice → bob [claimable] (subject) preview…"; `readFor` adds "read" when that agent has read it. */
export function messageLine(m: Message, readFor?: string): string {
  const flags = [
    m.claimable ? "claimable" : "",
    m.urgent ? "urgent" : "",
    m.payload.replyRequired === true ? "reply-required" : "",
    readFor !== undefined && m.readBy.includes(readFor) ? "read" : "",
  ]
    .filter(Boolean)
    .join(",");
  const subject = m.subject ? `(${oneLine(m.subject, 60)}) ` : "";
  return `#${m.id} ${m.from} → ${m.to}${flags ? ` [${flags}]` : ""} ${subject}${oneLine(m.body, PREVIEW_CHARS)}`;
}

/** Headers, a blank line, then the body in full. */
export function messageFull(m: Message): string {
  const head = [`Message: #${m.id}`, `From: ${m.from}`, `To: ${m.to}`, `Kind: ${oneLine(m.kind, 200)}`];
  head.push(`Date: ${new Date(m.createdAt).toISOString()}`);
  if (m.subject) head.push(`Subject: ${oneLine(m.subject, 1000)}`);
  if (m.replyTo !== undefined) head.push(`Reply-To: #${m.replyTo}`);
  if (typeof m.payload.taskId === "number") head.push(`Task: #${m.payload.taskId}`);
  if (m.payload.replyRequired === true) head.push("Reply-Required: yes");
  if (m.urgent) head.push("Urgent: yes");
  if (m.claimable) head.push(`Claimable: yes${m.claimedBy ? ` (claimed by ${m.claimedBy})` : ""}`);
  for (const a of m.attachments) {
    head.push(
      `Attachment: ${oneLine(a.name, 200)} (${oneLine(a.mimeType, 200)}, ${a.size} bytes, id ${a.id})`,
    );
  }
  if (m.reactions.length)
    head.push(
      `Reactions: ${m.reactions.map((r) => `${oneLine(r.reaction, 100)} by ${r.agentId}`).join(", ")}`,
    );
  // Where it stands for each recipient; a refusal says why (the recipient's own text: one clean line).
  for (const r of m.receipts ?? []) {
    const via = r.midTurn === undefined ? "" : r.midTurn ? " (mid-turn)" : " (turn boundary)";
    head.push(`Receipt: ${r.state}${via} by ${r.agentId}${r.reason ? `: ${oneLine(r.reason, 500)}` : ""}`);
  }
  return `${head.join("\n")}\n\n${m.body}`;
}

/** "#7 in_progress cli-erin Ship it" (assignee "-" when nobody). */
export function taskLine(t: Task): string {
  return `#${t.id} ${t.status} ${t.assignee ?? "-"} ${oneLine(t.title, PREVIEW_CHARS)}`;
}

export function taskFull(t: Task): string {
  const head = [`Task: #${t.id}`, `Title: ${oneLine(t.title, 1000)}`, `Status: ${t.status}`];
  if (t.assignee) head.push(`Assignee: ${t.assignee}`);
  if (t.timeLimitSeconds) head.push(`Time-Limit: ${formatDuration(t.timeLimitSeconds * 1000)}`);
  // The agent's summary and reason: each line flattened, so none of it can act on the terminal.
  if (t.outcome)
    head.push(
      ...describeOutcome(t.outcome)
        .split("\n")
        .map((l) => oneLine(l, 8200)),
    );
  const history = t.history.map(
    (h) =>
      `  ${new Date(h.at).toISOString()} ${h.status} by ${h.agentId}${h.body ? `: ${oneLine(h.body, 200)}` : ""}`,
  );
  const body = t.body ? `\n\n${t.body}` : "";
  return `${head.join("\n")}${history.length ? `\nHistory:\n${history.join("\n")}` : ""}${body}`;
}

/** "<id> <status>" plus the error or result when there is one. */
export function commandLine(c: Command): string {
  if (c.error) return `${c.id} ${c.status}: ${oneLine(c.error, 500)}`;
  if (c.result !== undefined) return `${c.id} ${c.status} ${JSON.stringify(c.result)}`;
  return `${c.id} ${c.status}`;
}

// JSON.stringify escapes C0 controls but not DEL, the C1 range (U+0080–U+009F, which some terminals obey as
// 8-bit escapes) or bidi controls; these are escaped too, so JSON output stays valid JSON and inert.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** JSON whose text can be printed to a terminal: no character of it can act as a control or escape. */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Everything the CLI prints goes through one of these two sinks. Relay text (bodies, kinds, mime types,
 * reactions, error messages) is untrusted, and an agent reads this output through its skills too, so no
 * escape sequence or control character (but newline and tab) may pass: see `sanitizeForPaste`.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${terminalJson(value)}\n`);
}

export function printLine(line: string): void {
  process.stdout.write(`${sanitizeForPaste(line)}\n`);
}

export function printError(line: string): void {
  process.stderr.write(`${sanitizeForPaste(line)}\n`);
}
