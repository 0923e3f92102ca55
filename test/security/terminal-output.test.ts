// Issue 9 item 18: nothing the CLI prints can act on a terminal (or on the model reading it through a skill).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Message } from "../../src/protocol/index.ts";
import { RelayHttpClient } from "../../src/relay-client/http-client.ts";
import { runCli } from "../cli/run-cli.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

setDefaultTimeout(25_000);

const ESC = "\u001b";
const HOSTILE = `${ESC}]0;pwned\u0007${ESC}[2J\u0000\u009b31m\u202e`;
// Anything that can drive a terminal: C0 controls but \n and \t, DEL, C1 controls, bidi overrides.
const DRIVES_TERMINAL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A relay this CLI does not control (a remote one, or a database written by an older relay) serving hostile text. */
function hostileRelay(): { url: string; stop(): void } {
  const message: Message = {
    id: 1,
    from: "mallory",
    to: "bob",
    kind: `chat${HOSTILE}`,
    subject: `hi${HOSTILE}`,
    body: `body${HOSTILE}`,
    payload: {},
    claimable: false,
    readBy: [],
    reactions: [{ agentId: "mallory", reaction: `ok${HOSTILE}`, at: 1 }],
    attachments: [{ id: "att1", name: `a${HOSTILE}.txt`, mimeType: `text/plain${HOSTILE}`, size: 3 }],
    createdAt: 1,
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/v1/messages/1") return Response.json(message);
      if (path === "/v1/messages/1/read") return Response.json({ ok: true });
      if (path === "/v1/agents/bob/unread") return Response.json({ messages: [message] });
      return Response.json(
        { error: { code: "not_found", message: `no ${path}${HOSTILE}` } },
        { status: 404 },
      );
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

describe("CLI output is inert on a terminal", () => {
  let home: string;
  let relay: { url: string; stop(): void };
  let env: Record<string, string>;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), "term-out-"));
    relay = hostileRelay();
    env = { HOME: home, AGENT_RELAY_URL: relay.url, AGENT_RELAY_TOKEN: "t".repeat(32) };
  });
  afterAll(() => {
    relay.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test("msg read: kind, subject, body, mime type, attachment name and reactions carry no control", async () => {
    const out = await runCli(["msg", "read", "1", "--agent", "bob"], { env });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("Kind: chat");
    expect(out.stdout).toContain("text/plain");
    expect(out.stdout).toContain("ok");
    expect(out.stdout).toContain("body");
    expect(out.stdout).not.toMatch(DRIVES_TERMINAL);
    // A header value cannot start a forged header line either.
    expect(out.stdout.split("\n").filter((l) => l.startsWith("Kind:"))).toHaveLength(1);
  });

  test("--json output stays valid JSON and escapes every control", async () => {
    const out = await runCli(["msg", "read", "1", "--agent", "bob", "--json"], { env });
    expect(out.code).toBe(0);
    expect(out.stdout).not.toMatch(DRIVES_TERMINAL);
    expect((JSON.parse(out.stdout) as Message).kind).toBe(`chat${HOSTILE}`);
  });

  test("inbox lists and error lines are inert too", async () => {
    const inbox = await runCli(["inbox", "--agent", "bob"], { env });
    expect(inbox.code).toBe(0);
    expect(inbox.stdout).not.toMatch(DRIVES_TERMINAL);
    const failed = await runCli(["msg", "read", "2", "--agent", "bob"], { env });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain("no /v1/messages/2");
    expect(failed.stderr).not.toMatch(DRIVES_TERMINAL);
  });
});

describe("the relay refuses control characters in one-line labels", () => {
  let t: TestRelay;
  let root: RelayHttpClient;
  beforeAll(async () => {
    t = await startTestRelay();
    root = new RelayHttpClient({ relayUrl: t.url, token: t.rootToken });
  });
  afterAll(async () => {
    await root.close();
    await t.close();
  });

  test("a kind or reaction with an escape is a 400 naming the field", async () => {
    const bad = await fetch(`${t.url}/v1/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.rootToken}`, "content-type": "application/json" },
      body: JSON.stringify({ to: "bob", body: "x", kind: `chat${ESC}[2J` }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("kind");
    const sent = await root.sendMessage({ to: "bob", body: "x" });
    const reaction = await fetch(`${t.url}/v1/messages/${sent.id}/reactions`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.rootToken}`, "content-type": "application/json" },
      body: JSON.stringify({ agentId: "bob", reaction: `ok${ESC}]0;x\u0007` }),
    });
    expect(reaction.status).toBe(400);
    expect(await reaction.text()).toContain("reaction");
  });
});
