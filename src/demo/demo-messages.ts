// Splits what the command provider pasted into the relay messages it holds, and decides what the demo agent does with each.

/** One relay message as the command provider pastes it: `[relay message #N from S] subject`, then the body. */
export interface PastedMessage {
  id: number;
  from: string;
  subject?: string;
  body: string;
}

/** What the demo agent does with a message: answer it, or ask for permission first (it never runs anything). */
export type DemoAction = { kind: "reply"; text: string } | { kind: "ask"; command: string };

// Not anchored at the line's start: keys a person typed before the paste share its first line.
const HEADER = /\[relay message #(\d+) from ([^\]\s]+)\](?: (.*))?$/;
const PLEASE_RUN = /^please run\s+(.+)$/is;

/** Messages in paste order; text before the first header line (a person typing) is not a relay message. */
export function parsePastedMessages(text: string): PastedMessage[] {
  const out: PastedMessage[] = [];
  let current: { head: Omit<PastedMessage, "body">; lines: string[] } | undefined;
  const flush = () => {
    if (current) out.push({ ...current.head, body: current.lines.join("\n").trim() });
  };
  for (const line of text.split("\n")) {
    const m = HEADER.exec(line);
    if (m) {
      flush();
      const subject = m[3]?.trim();
      current = { head: { id: Number(m[1]), from: m[2]!, ...(subject ? { subject } : {}) }, lines: [] };
    } else {
      current?.lines.push(line);
    }
  }
  flush();
  return out;
}

/** "please run <command>" needs a person's approval on the relay; anything else gets an echo reply. */
export function actionFor(message: PastedMessage): DemoAction {
  const run = PLEASE_RUN.exec(message.body.trim());
  if (run) return { kind: "ask", command: run[1]!.trim() };
  return { kind: "reply", text: `demo-agent got your message: ${message.body}` };
}

/** The reply that reports a permission decision; the demo agent says plainly that it ran nothing. */
export function decisionReply(command: string, decision: string): string {
  const approved = decision === "approve" || decision === "approve-session";
  return approved
    ? `permission approved: I would now run \`${command}\` (the demo agent runs nothing)`
    : `permission ${decision === "deny" ? "denied" : `not given (${decision})`}: I will not run \`${command}\``;
}
