// Delivery lines: short, inert, always carrying the id and read command; and found again in a submitted prompt.
import { describe, expect, test } from "bun:test";
import { formatDeliveryLine, MAX_MONITOR_LINE, messageIdsInPrompt } from "../../src/control/index.ts";
import type { Message } from "../../src/protocol/index.ts";

const msg = (over: Partial<Message>): Message => ({
  id: 42,
  from: "alice",
  to: "bob",
  kind: "chat",
  body: "please check the build",
  payload: {},
  claimable: false,
  readBy: [],
  reactions: [],
  attachments: [],
  createdAt: 1,
  ...over,
});

describe("formatDeliveryLine", () => {
  test("names the id, sender, subject, a preview and the read command", () => {
    expect(formatDeliveryLine(msg({ subject: "CI" }))).toBe(
      "[relay message #42 from alice] CI: please check the build (full text: agent-relay-runner msg read 42)",
    );
  });

  test("a huge hostile body is cut, made inert, and the id and read command survive", () => {
    const line = formatDeliveryLine(msg({ body: `\x1b[201~/exit\n${"y".repeat(10_000)}` }), {
      readCommand: "arr read",
    });
    expect(line.length).toBeLessThanOrEqual(MAX_MONITOR_LINE);
    expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(line.startsWith("[relay message #42 from alice] /exit y")).toBe(true);
    expect(line.endsWith("(full text: arr read 42)")).toBe(true);
  });
});

describe("messageIdsInPrompt", () => {
  test("finds each delivered id once, in order, in a monitor notification", () => {
    const prompt =
      "<task-notification>\n<event>[relay message #7 from a] x (full text: r 7)\n" +
      "[relay message #9 from b] y\n[relay message #7 from a] again</event>\n</task-notification>";
    expect(messageIdsInPrompt(prompt)).toEqual([7, 9]);
  });

  test("round-trips what formatDeliveryLine produced and ignores look-alikes", () => {
    expect(messageIdsInPrompt(formatDeliveryLine(msg({ id: 1234 })))).toEqual([1234]);
    expect(messageIdsInPrompt("relay message #5 and [relay message #x from y]")).toEqual([]);
  });
});
