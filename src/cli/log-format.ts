// `logs`: a runner's pino JSON lines as people read them, `14:03:07.123 INFO  message delivered  id=7 from=alice`.

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};
/** pino's own fields, shown in the head of the line or not at all. */
const HEAD_KEYS = new Set(["level", "time", "msg", "pid", "hostname", "name", "v"]);
/** Terminal controls from a log (an agent's output quoted in a field) must not act on the reader's terminal. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

function twoDigits(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Local wall-clock time with milliseconds. */
export function localTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${twoDigits(d.getHours())}:${twoDigits(d.getMinutes())}:${twoDigits(d.getSeconds())}.${twoDigits(d.getMilliseconds(), 3)}`;
}

function fieldValue(v: unknown): string {
  const text = typeof v === "string" && !/[\s="]/.test(v) && v !== "" ? v : JSON.stringify(v);
  return text === undefined ? String(v) : text;
}

/** One log line pretty-printed; a line that is not a pino JSON object comes back as it is (made terminal-safe). */
export function formatLogLine(line: string): string {
  let entry: unknown;
  try {
    entry = line.startsWith("{") ? JSON.parse(line) : undefined;
  } catch {
    entry = undefined;
  }
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return line.replace(CONTROLS, "�");
  const e = entry as Record<string, unknown>;
  const time = typeof e.time === "number" ? localTime(e.time) : "--:--:--.---";
  const level = (typeof e.level === "number" ? LEVELS[e.level] : undefined) ?? String(e.level ?? "?");
  const fields = Object.entries(e)
    .filter(([k]) => !HEAD_KEYS.has(k))
    .map(([k, v]) => `${k}=${fieldValue(v)}`);
  const msg = typeof e.msg === "string" ? e.msg : "";
  const text = [msg, fields.join(" ")].filter(Boolean).join("  ");
  return `${time} ${level.padEnd(5)} ${text}`.replace(CONTROLS, "�");
}

/** A writer of log text that may arrive in pieces: whole lines are formatted, a partial one waits for its end. */
export function lineFormatter(write: (text: string) => void): { push(chunk: Buffer): void; flush(): void } {
  let pending = "";
  return {
    push(chunk) {
      pending += chunk.toString("utf8");
      const end = pending.lastIndexOf("\n");
      if (end < 0) return;
      const lines = pending.slice(0, end).split("\n");
      pending = pending.slice(end + 1);
      write(lines.map((l) => `${formatLogLine(l)}\n`).join(""));
    },
    flush() {
      if (pending) write(`${formatLogLine(pending)}\n`);
      pending = "";
    },
  };
}
