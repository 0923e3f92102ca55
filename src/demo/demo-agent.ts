// The demo's terminal "agent": reads a pasted message (bracketed paste, then Enter) and says what it received.

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";
const PROMPT = "demo-agent> ";

// Bracketed paste on: a pasted message arrives whole, and only the Enter after it submits it.
process.stdout.write(`\x1b[?2004hdemo agent started; waiting for relay messages\n${PROMPT}`);
process.stdin.setRawMode?.(true);

let buffer = "";
let pasting = false;
let received = 0;

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
