// `logs` pretty-printing: pino lines as people read them, anything else as it is, never terminal controls.
import { expect, test } from "bun:test";
import { formatLogLine, lineFormatter, localTime } from "../../src/cli/log-format.ts";

const AT = new Date(2026, 11, 5, 14, 3, 7, 123).getTime();

test("a pino line becomes local time, level, message and its fields; pino's own fields are left out", () => {
  const line = JSON.stringify({
    level: 30,
    time: AT,
    pid: 1,
    hostname: "h",
    name: "n",
    msg: "message delivered",
    id: 7,
    from: "alice",
  });
  expect(formatLogLine(line)).toBe("14:03:07.123 INFO  message delivered  id=7 from=alice");
  expect(localTime(AT)).toBe("14:03:07.123");
});

test("values with spaces or structure are JSON; levels beyond info are named", () => {
  const line = JSON.stringify({ level: 50, time: AT, msg: "failed", err: "no such file", ctx: { a: 1 } });
  expect(formatLogLine(line)).toBe('14:03:07.123 ERROR failed  err="no such file" ctx={"a":1}');
});

test("a line that is not a JSON object is printed as it is, with terminal controls defused", () => {
  expect(formatLogLine("agent-relay-runner: agent a is up")).toBe("agent-relay-runner: agent a is up");
  expect(formatLogLine("[1, 2]")).toBe("[1, 2]");
  expect(formatLogLine("screen: \u001b[2J gone")).toBe("screen: �[2J gone");
  const hostile = JSON.stringify({ level: 30, time: AT, msg: "x\u009b31m", screen: "\u001b]0;t\u0007" });
  expect(formatLogLine(hostile)).not.toMatch(/[\u001b\u0007\u009b]/);
});

test("text arriving in pieces is formatted by whole lines; the last partial line on flush", () => {
  const out: string[] = [];
  const f = lineFormatter((t) => out.push(t));
  const line = JSON.stringify({ level: 40, time: AT, msg: "slow" });
  f.push(Buffer.from(`${line.slice(0, 10)}`));
  expect(out).toEqual([]);
  f.push(Buffer.from(`${line.slice(10)}\nplain`));
  expect(out).toEqual(["14:03:07.123 WARN  slow\n"]);
  f.flush();
  expect(out).toEqual(["14:03:07.123 WARN  slow\n", "plain\n"]);
});
