// Claude Code plugin monitor: reads the runner's delivery stream and prints one short line per relay
// message. Claude Code turns each stdout line into a model turn, so this prints NOTHING else.
// Runs on Bun or Node >= 18. Loops forever (Claude never restarts a dead monitor) until Claude is gone.
//
// Stream: GET $AGENT_RELAY_CONTROL_URL/v1/deliveries/stream, Server-Sent Events (`data:` lines) or NDJSON.
// Each data item is JSON — `{"line": "..."}`, or a message `{"id", "from", "subject"?, "body"?}` — or plain text.

import { readFileSync } from "node:fs";

const base = process.env.AGENT_RELAY_CONTROL_URL ?? "";
const secret = process.env.AGENT_RELAY_CONTROL_SECRET ?? "";
const bin = process.env.AGENT_RELAY_BIN ? '"$AGENT_RELAY_BIN"' : "agent-relay-runner";
const MAX_LINE = 480; // Claude Code truncates monitor lines at 500 characters.

/** Our ancestors (shell, claude) at start: when one disappears or we are re-parented, Claude has gone. */
function ancestors() {
  const out = [];
  let pid = process.ppid;
  for (let i = 0; i < 2 && pid > 1; i++) {
    out.push(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      break;
    }
  }
  return out;
}
const watched = ancestors();
const firstParent = process.ppid;
function claudeGone() {
  if (process.ppid !== firstParent) return true;
  return watched.some((pid) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      return e?.code === "ESRCH";
    }
  });
}
setInterval(() => {
  if (claudeGone()) process.exit(0);
}, 1_000).unref?.();

function oneLine(text) {
  const flat = String(text)
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > MAX_LINE ? `${flat.slice(0, MAX_LINE - 1)}…` : flat;
}

function formatItem(data) {
  let item;
  try {
    item = JSON.parse(data);
  } catch {
    return oneLine(data);
  }
  if (typeof item === "string") return oneLine(item);
  if (!item || typeof item !== "object") return "";
  if (typeof item.line === "string") return oneLine(item.line);
  const msg = item.message && typeof item.message === "object" ? item.message : item;
  if (typeof msg.id !== "number") return "";
  const head = `[relay message #${msg.id} from ${msg.from ?? "unknown"}]`;
  const subject = msg.subject ? ` ${msg.subject}:` : "";
  const tail = ` (full text: ${bin} msg read ${msg.id})`;
  const room = MAX_LINE - head.length - subject.length - tail.length - 1;
  const preview = oneLine(msg.body ?? msg.preview ?? "");
  const cut = preview.length > room ? `${preview.slice(0, Math.max(0, room - 1))}…` : preview;
  return oneLine(`${head}${subject} ${cut}${tail}`);
}

async function streamOnce() {
  const res = await fetch(`${base}/v1/deliveries/stream`, {
    headers: { accept: "text/event-stream", "x-agent-relay-secret": secret },
  });
  if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      const raw = buffer.slice(0, nl).replace(/\r$/, "");
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf("\n");
      // SSE: only `data:` lines carry items; comments (`:`), `event:`, `id:` and blanks are framing.
      let data;
      if (raw.startsWith("data:")) data = raw.slice(5).trimStart();
      else if (raw.startsWith("{")) data = raw;
      else continue;
      const line = formatItem(data);
      if (line) process.stdout.write(`${line}\n`);
    }
  }
}

async function main() {
  // Switched off by the runner (paste delivery): stay alive and silent, since an exiting monitor wakes the model
  // with a failure notice; the parent watch above still ends us with Claude.
  if (!base || process.env.AGENT_RELAY_MONITOR === "off") {
    setInterval(() => {}, 60_000);
    return;
  }
  let backoffMs = 200;
  for (;;) {
    const started = Date.now();
    try {
      await streamOnce();
    } catch {
      // The runner may be restarting: keep trying quietly (stderr is not shown to the model anyway).
    }
    if (Date.now() - started > 10_000) backoffMs = 200;
    await new Promise((r) => setTimeout(r, backoffMs));
    backoffMs = Math.min(backoffMs * 2, 5_000);
  }
}

main();
