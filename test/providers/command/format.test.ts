import { describe, expect, test } from "bun:test";
import type { Message } from "../../../src/protocol/index.ts";
import { formatDelivery, formatMessage, formatSystemNote } from "../../../src/providers/command/format.ts";

function message(over: Partial<Message>): Message {
  return {
    id: 7,
    from: "alice",
    to: "bob",
    kind: "chat",
    body: "please run the tests",
    payload: {},
    claimable: false,
    readBy: [],
    reactions: [],
    attachments: [],
    createdAt: 0,
    ...over,
  };
}

describe("formatting deliveries", () => {
  test("a message reads as a header line with id, sender and subject, then its body", () => {
    expect(formatMessage({ message: message({ subject: "CI" }), attachmentPaths: [] })).toBe(
      "[relay message #7 from alice] CI\nplease run the tests",
    );
  });

  test("attachments are listed by their local paths with name, type and size", () => {
    const m = message({ attachments: [{ id: "a1", name: "log.txt", mimeType: "text/plain", size: 12 }] });
    expect(formatMessage({ message: m, attachmentPaths: ["/cache/a1/log.txt"] })).toBe(
      "[relay message #7 from alice]\nplease run the tests\nAttachments:\n- /cache/a1/log.txt (log.txt, text/plain, 12 bytes)",
    );
  });

  test("several messages are separated by a blank line, in order", () => {
    const text = formatDelivery([
      { message: message({ id: 1, body: "one" }), attachmentPaths: [] },
      { message: message({ id: 2, body: "two" }), attachmentPaths: [] },
    ]);
    expect(text).toBe("[relay message #1 from alice]\none\n\n[relay message #2 from alice]\ntwo");
  });

  test("a system note is marked as one", () => {
    expect(formatSystemNote("remember X")).toBe("[relay system note]\nremember X");
  });
});
