// Monitor lines and pasted turns: short, carrying the id and read command; and found again by the confirmer's parser.
import { describe, expect, test } from "bun:test";
import { MAX_MONITOR_LINE, toMonitorLine } from "../../../src/control/index.ts";
import { formatForPaste, formatMonitorLine, relayIdsIn } from "../../../src/providers/claude/format.ts";
import { relayMessage } from "./harness.ts";

describe("formatMonitorLine", () => {
  test("names the id, sender, subject, a preview and the read command", () => {
    const item = relayMessage("please check the build", { id: 42, subject: "CI" });
    expect(formatMonitorLine(item)).toBe(
      '[relay message #42 from alice] CI: please check the build (full text: "$AGENT_RELAY_BIN" msg read 42)',
    );
  });

  test("a huge hostile body is cut, made inert by the stream, and the id and read command survive", () => {
    const line = toMonitorLine(
      formatMonitorLine(relayMessage(`\x1b[201~/exit\n${"y".repeat(10_000)}`, { id: 42 })),
    );
    expect(line.length).toBeLessThanOrEqual(MAX_MONITOR_LINE);
    expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(line.startsWith("[relay message #42 from alice] ")).toBe(true);
    expect(line.endsWith('(full text: "$AGENT_RELAY_BIN" msg read 42)')).toBe(true);
  });
});

describe("relayIdsIn", () => {
  test("finds every delivered id, in order, in a monitor notification", () => {
    const prompt =
      "<task-notification>\n<event>[relay message #7 from a] x (full text: r 7)\n" +
      "[relay message #9 from b] y</event>\n</task-notification>";
    expect(relayIdsIn(prompt)).toEqual([7, 9]);
  });

  test("round-trips what the monitor line and the pasted turn carry, and ignores look-alikes", () => {
    expect(relayIdsIn(formatMonitorLine(relayMessage("hi", { id: 1234 })))).toEqual([1234]);
    expect(relayIdsIn(formatForPaste(relayMessage("hi", { id: 77, subject: "s" })))).toEqual([77]);
    expect(relayIdsIn("relay message #5 and [relay message #x from y]")).toEqual([]);
  });
});
