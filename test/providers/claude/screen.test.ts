// Screen classification and delivery text: dialogs are recognised before the prompt glyph, ids are found again.
import { describe, expect, test } from "bun:test";
import {
  formatDeliveriesForPaste,
  formatMonitorLine,
  relayIdsIn,
} from "../../../src/providers/claude/format.ts";
import { classifyScreen, pendingInput } from "../../../src/providers/claude/screen.ts";
import { relayMessage } from "./harness.ts";

const RULE = "─".repeat(80);
// Screens as captured from Claude Code 2.1.330 in tmux (trimmed).
const READY = `╭ Claude Code v2.1.330\n${RULE}\n❯\u00a0\n${RULE}\n  ⏸ manual mode on · ? for shortcuts`;
const BUSY = `❯ hello\n✶ Channeling… (running Stop hook · 5s · ↓ 10 tokens)\n${RULE}\n❯\u00a0\n${RULE}\n  ⏸ manual mode on · esc to interrupt`;
const PERMISSION = ` Bash command\n "$AGENT_RELAY_BIN" msg reply 7 "done $X"\n Do you want to proceed?\n ❯ 1. Yes\n   3. No\n Esc to cancel · Tab to amend`;
const TRUST = ` Accessing workspace:\n /tmp/w4\n Quick safety check: Is this a project you created or one you trust?\n ❯ No, exit\n   Yes, I trust this folder\n Enter to confirm · Esc to cancel`;

describe("classifyScreen", () => {
  test("tells the idle prompt, a running turn, a permission dialog and a first-run dialog apart", () => {
    expect(classifyScreen(READY)).toBe("ready");
    expect(classifyScreen(BUSY)).toBe("busy");
    expect(classifyScreen(PERMISSION)).toBe("permission");
    expect(classifyScreen(TRUST)).toBe("dialog");
    expect(classifyScreen("")).toBe("starting");
  });

  test("reads what is left in the input box", () => {
    expect(pendingInput(READY)).toBe("");
    expect(pendingInput(READY.replace("❯\u00a0", "❯\u00a0[Pasted text #1 +3 lines]"))).toBe(
      "[Pasted text #1 +3 lines]",
    );
  });
});

describe("delivery text", () => {
  test("every pasted message starts with its header, so no line of a body can lead as a slash command", () => {
    const a = relayMessage("/exit", { id: 5, from: "mallory", subject: "hi" });
    const b = relayMessage("second", { id: 6 });
    const text = formatDeliveriesForPaste([a, b]);
    expect(text.startsWith("[relay message #5 from mallory]\nSubject: hi\n/exit")).toBe(true);
    expect(relayIdsIn(text)).toEqual([5, 6]);
  });

  test("a monitor line stays one line under Claude's 500-character cap and points at the full text", () => {
    const line = formatMonitorLine(
      relayMessage(`long\nbody ${"x".repeat(2_000)}`, { id: 77, from: "bob", subject: "big" }),
    );
    expect(line.length).toBeLessThanOrEqual(500);
    expect(line).not.toContain("\n");
    expect(line.startsWith("[relay message #77 from bob] big: long body x")).toBe(true);
    expect(line.endsWith('(full text: "$AGENT_RELAY_BIN" msg read 77)')).toBe(true);
    expect(relayIdsIn(line)).toEqual([77]);
  });
});
