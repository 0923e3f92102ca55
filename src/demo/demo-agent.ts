// The demo's terminal "agent": reads pasted relay messages, says what it got, replies, and asks permission for "please run …".
import { errorMessage } from "../util/errors.ts";
import { actionFor, decisionReply, type PastedMessage, parsePastedMessages } from "./demo-messages.ts";
import { DemoRelay } from "./demo-relay.ts";

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";
const PROMPT = "demo-agent> ";

// Bracketed paste on: a pasted message arrives whole, and only the Enter after it submits it.
process.stdout.write(`\x1b[?2004hdemo agent started; waiting for relay messages\n${PROMPT}`);
process.stdin.setRawMode?.(true);

let buffer = "";
let pasting = false;
let received = 0;
const relay = DemoRelay.fromEnv();

/** Output that arrives while the prompt is shown: on its own lines, then the prompt again. */
function say(text: string): void {
  process.stdout.write(`\n${text}\n${PROMPT}`);
}

/** Answer one message through the relay; never runs what a message asks, only asks a person and reports. */
async function respond(message: PastedMessage): Promise<void> {
  if (!relay) return;
  const action = actionFor(message);
  let text: string;
  if (action.kind === "ask") {
    say(`demo-agent asks permission to run: ${action.command}`);
    const answer = await relay.askPermission("Bash", action.command);
    say(
      `demo-agent permission ${answer.approvalId}: ${answer.decision}${answer.reason ? ` (${answer.reason})` : ""}`,
    );
    text = decisionReply(action.command, answer.decision);
  } else {
    text = action.text;
  }
  const id = await relay.reply(message, text);
  say(`demo-agent replied to ${message.from} with message #${id}`);
}

function submit(): void {
  const text = buffer.replace(/\r\n?/g, "\n").trim();
  buffer = "";
  if (text === "") {
    process.stdout.write(`\n${PROMPT}`);
    return;
  }
  received++;
  const lines = text.split("\n").map((l) => `  | ${l}`);
  process.stdout.write(`\ndemo-agent received message ${received}:\n${lines.join("\n")}\n${PROMPT}`);
  for (const message of parsePastedMessages(text)) {
    respond(message).catch((e) =>
      say(`demo-agent could not answer message #${message.id}: ${errorMessage(e)}`),
    );
  }
}

process.stdin.on("data", (chunk: Buffer) => {
  let s = chunk.toString("utf8");
  while (s.length > 0) {
    if (s.startsWith(PASTE_START)) {
      pasting = true;
      s = s.slice(PASTE_START.length);
    } else if (s.startsWith(PASTE_END)) {
      pasting = false;
      s = s.slice(PASTE_END.length);
    } else {
      const ch = s[0]!;
      s = s.slice(1);
      if (ch === "\x03" || ch === "\x04") process.exit(0);
      if (ch === "\r" && !pasting) submit();
      else buffer += ch;
    }
  }
});
