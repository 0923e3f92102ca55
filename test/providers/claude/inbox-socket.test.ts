// The inbox socket's rules: a private folder, Claude's path limit, one bounded NDJSON line, the on/off switch.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  boundInboxContent,
  InboxLink,
  inboxWanted,
  MAX_INBOX_CHARS,
} from "../../../src/providers/claude/inbox.ts";
import { inboxSocketCandidates, prepareInboxSocket } from "../../../src/providers/claude/inbox-path.ts";
import { isRunnerError } from "../../../src/util/errors.ts";
import { waitFor } from "../../support/wait-for.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "claude-inbox-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in for Claude's end of the socket: every line it reads. */
async function listen(path: string): Promise<{ server: Server; lines: string[] }> {
  const lines: string[] = [];
  const server = createServer((c) => {
    let buf = "";
    c.on("data", (d) => {
      buf += d.toString();
    });
    c.on("end", () => lines.push(...buf.split("\n").filter((l) => l !== "")));
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { server, lines };
}

describe("the Claude inbox socket", () => {
  test("a path over Claude's 103 bytes, or a folder others can enter, is passed over for the next; none left: the reasons", async () => {
    const long = join(dir, "x".repeat(120), "inbox.sock");
    const open = join(dir, "open");
    await mkdir(open);
    await chmod(open, 0o755);
    const fine = join(dir, "private", "s.sock");
    expect(await prepareInboxSocket([long, join(open, "s.sock"), fine])).toBe(fine);
    expect((await stat(join(dir, "private"))).mode & 0o777).toBe(0o700);
    const none = await prepareInboxSocket([long, join(open, "s.sock")]).catch((e: Error) => e);
    expect(isRunnerError(none, "CONFIG_INVALID")).toBe(true);
    expect((none as Error).message).toContain("over Claude's limit of 103");
    expect((none as Error).message).toContain(`${open} is not a private folder of ours`);
  });

  test("the config dir comes first, then a short name under XDG_RUNTIME_DIR, then under the temp dir", () => {
    const [own, runtime, temp] = inboxSocketCandidates("/home/a/.agent-relay/agents/x/claude-config", {
      XDG_RUNTIME_DIR: "/run/user/1000",
    });
    expect(own).toBe("/home/a/.agent-relay/agents/x/claude-config/inbox.sock");
    expect(runtime).toMatch(/^\/run\/user\/1000\/agent-relay-inbox\/[0-9a-f]{16}\.sock$/);
    expect(temp).toMatch(/agent-relay-inbox-\d+\/[0-9a-f]{16}\.sock$/);
    expect(inboxSocketCandidates("/c", {})).toHaveLength(2);
  });

  test("a stale socket is cleared; a message is one JSON line with its priority; a refused write unbinds", async () => {
    const path = join(dir, "inbox.sock");
    await chmod(dir, 0o700);
    await writeFile(path, "stale");
    expect(await prepareInboxSocket([path])).toBe(path);
    const link = new InboxLink(path, async () => ({ pid: 1, sessionId: "s", messagingSocketPath: path }));
    // Named in Claude's registry but not listening (a sandbox's private /tmp): not bound.
    expect(await link.check()).toBe(false);
    const { server, lines } = await listen(path);
    try {
      expect(await link.check()).toBe(true);
      await link.send("[relay message #1 from a]\nhi", "later");
      await waitFor(() => lines.length > 0, { timeoutMs: 2_000, what: "the line" });
      expect(lines.map((l) => JSON.parse(l))).toEqual([
        {
          type: "user",
          message: { role: "user", content: "[relay message #1 from a]\nhi" },
          priority: "later",
        },
      ]);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const refused = await link.send("[relay message #2 from a]", "next").catch((e) => e);
    expect(isRunnerError(refused, "DELIVERY_FAILED")).toBe(true);
    expect(link.isBound).toBe(false);
  });

  test("a text longer than Claude takes is cut, with where to read all of it", () => {
    const cut = boundInboxContent(`[relay message #9 from a]\n${"x".repeat(MAX_INBOX_CHARS)}`, [9]);
    expect(cut.length).toBe(MAX_INBOX_CHARS);
    expect(cut).toStartWith("[relay message #9 from a]\n");
    expect(cut).toEndWith(`(cut; full text: "$AGENT_RELAY_BIN" msg read 9)`);
    expect(boundInboxContent("short", [1])).toBe("short");
  });

  test("AGENT_RELAY_CLAUDE_INBOX switches the inbox off with 0, false, no or off; anything else leaves it on", () => {
    for (const off of ["off", "OFF", " 0 ", "false", "no"]) expect(inboxWanted(off)).toBe(false);
    for (const on of [undefined, "", "on", "1", "yes"]) expect(inboxWanted(on)).toBe(true);
  });
});
