// Turn text for relay deliveries and injected context.
import { describe, expect, test } from "bun:test";
import {
  formatDeliveries,
  formatRelayMessage,
  formatSystemNote,
} from "../../../src/providers/codex/format.ts";
import { relayMessage } from "./harness.ts";

describe("codex turn formatting", () => {
  test("a message without subject or attachments is the header and the body", () => {
    expect(formatRelayMessage(relayMessage(7, "do the thing"))).toBe(
      "[relay message #7 from alice]\ndo the thing",
    );
  });

  test("subject and attachment paths follow the header in order", () => {
    const item = relayMessage(8, "see files", { subject: "logs", from: "ops" });
    item.attachmentPaths = ["/cache/a.log", "/cache/b.log"];
    expect(formatRelayMessage(item)).toBe(
      "[relay message #8 from ops]\nSubject: logs\nsee files\nAttachments:\n- /cache/a.log\n- /cache/b.log",
    );
  });

  test("several deliveries become one turn separated by blank lines", () => {
    expect(formatDeliveries([relayMessage(1, "a"), relayMessage(2, "b")])).toBe(
      "[relay message #1 from alice]\na\n\n[relay message #2 from alice]\nb",
    );
  });

  test("injected context is marked as a runner note, not a message to answer", () => {
    expect(formatSystemNote("remember X")).toBe(
      "[system note from the agent-relay runner: context, not a message to answer]\nremember X",
    );
  });
});
