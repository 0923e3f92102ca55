// `task list`, `inbox --all` and `thread`: the lists behind them (GET /v1/tasks, /v1/agents/:id/messages,
// /v1/messages/:id/thread) and what each token may see, through the real bin and a real relay.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RelayHttpClient } from "../../src/relay-client/http-client.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { runCli } from "./run-cli.ts";

setDefaultTimeout(30_000);

let t: TestRelay;
let root: RelayHttpClient;
let home: string;
let env: Record<string, string>;

beforeAll(async () => {
  t = await startTestRelay();
  root = new RelayHttpClient({ relayUrl: t.url, token: t.rootToken });
  home = mkdtempSync(join(tmpdir(), "cli-lists-home-"));
  env = { HOME: home, AGENT_RELAY_URL: t.url, AGENT_RELAY_TOKEN: t.rootToken };
});
afterAll(async () => {
  await root.close();
  await t.close();
  rmSync(home, { recursive: true, force: true });
});

describe("task list", () => {
  test("lists tasks oldest first, filtered by status and assignee, paged by --after-id", async () => {
    const a = await root.createTask({ title: "first\u001b[2J", assignee: "tl-ann" });
    const b = await root.createTask({ title: "second", assignee: "tl-bo" });
    const c = await root.createTask({ title: "third" });
    await root.setTaskStatus(b.id, { status: "in_progress", agentId: "tl-bo" });

    const all = await runCli(["task", "list"], { env });
    expect(all).toMatchObject({ code: 0, stderr: "" });
    expect(all.stdout).toBe(
      `#${a.id} open tl-ann first [2J\n#${b.id} in_progress tl-bo second\n#${c.id} open - third\n`,
    );
    const open = await runCli(["task", "list", "--status", "open"], { env });
    expect(open.stdout).toBe(`#${a.id} open tl-ann first [2J\n#${c.id} open - third\n`);
    const bo = await runCli(["task", "list", "--assignee", "tl-bo", "--json"], { env });
    expect(JSON.parse(bo.stdout).map((x: { id: number }) => x.id)).toEqual([b.id]);
    const page = await runCli(["task", "list", "--limit", "1", "--after-id", String(a.id)], { env });
    expect(page.stdout).toBe(`#${b.id} in_progress tl-bo second\n`);
    const none = await runCli(["task", "list", "--assignee", "tl-nobody"], { env });
    expect(none).toMatchObject({ code: 0, stdout: "no tasks\n" });
  });

  test("bad filters are usage errors naming the flag", async () => {
    const bad = await runCli(["task", "list", "--status", "finished"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toStartWith("agent-relay-runner task list: --status: ");
    const big = await runCli(["task", "list", "--limit", "501"], { env });
    expect(big).toMatchObject({
      code: 2,
      stderr: 'agent-relay-runner task list: --limit: must be 1-500 (got "501")\n',
    });
  });

  test("a runtime token lists only the tasks its agent created or is assigned", async () => {
    const token = await t.mintToken("tl-viewer");
    const viewer = new RelayHttpClient({ relayUrl: t.url, token });
    try {
      const mine = await viewer.createTask({ title: "made by viewer" });
      const assigned = await root.createTask({ title: "for viewer", assignee: "tl-viewer" });
      await root.createTask({ title: "someone else's", assignee: "tl-other" });
      const r = await t.call(token, "GET", "/v1/tasks");
      expect(r.status).toBe(200);
      expect(r.body.tasks.map((x: { id: number }) => x.id)).toEqual([mine.id, assigned.id]);
      // Root sees them all.
      expect((await t.call(t.rootToken, "GET", "/v1/tasks?limit=500")).body.tasks.length).toBeGreaterThan(2);
      expect((await t.call(token, "GET", "/v1/tasks?status=nope")).status).toBe(400);
    } finally {
      await viewer.close();
    }
  });
});

describe("inbox --all", () => {
  test("lists read and unread messages addressed to the agent, read ones marked, paged by --after-id", async () => {
    await (await t.openBus({ agentId: "ib-ann" })).close();
    const m1 = await root.sendMessage({ to: "ib-ann", from: "ib-bob", body: "one" });
    const m2 = await root.sendMessage({ to: "ib-ann", from: "ib-bob", body: "two" });
    await root.sendMessage({ to: "ib-other", from: "ib-bob", body: "not for ann" });
    await root.markRead(m1.id, "ib-ann");

    const unread = await runCli(["inbox", "--agent", "ib-ann"], { env });
    expect(unread.stdout).toBe(`#${m2.id} ib-bob → ib-ann two\n`);
    const all = await runCli(["inbox", "--agent", "ib-ann", "--all"], { env });
    expect(all).toMatchObject({ code: 0, stderr: "" });
    expect(all.stdout).toBe(`#${m1.id} ib-bob → ib-ann [read] one\n#${m2.id} ib-bob → ib-ann two\n`);
    const page = await runCli(["inbox", "--agent", "ib-ann", "--all", "--after-id", String(m1.id)], { env });
    expect(page.stdout).toBe(`#${m2.id} ib-bob → ib-ann two\n`);
    const misuse = await runCli(["inbox", "--agent", "ib-ann", "--after-id", "3"], { env });
    expect(misuse).toMatchObject({
      code: 2,
      stderr: "agent-relay-runner inbox: --after-id: only with --all\n",
    });
  });

  test("a runtime token reads only its own agent's history", async () => {
    const token = await t.mintToken("ib-eve");
    const r = await runCli(["inbox", "--agent", "ib-ann", "--all"], {
      env: { ...env, AGENT_RELAY_TOKEN: token },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toStartWith("agent-relay-runner inbox: relay answered 403 forbidden:");
  });
});

describe("thread", () => {
  test("prints the whole conversation from any of its messages, replies indented under what they answer", async () => {
    const q = await root.sendMessage({ to: "th-bob", from: "th-ann", subject: "Plan", body: "shall we?" });
    const r1 = await root.sendMessage({ to: "th-ann", from: "th-bob", body: "yes", replyTo: q.id });
    await root.sendMessage({ to: "th-bob", from: "th-cat", body: "unrelated" });
    const r2 = await root.sendMessage({ to: "th-bob", from: "th-ann", body: "great\nthen", replyTo: r1.id });
    const r3 = await root.sendMessage({ to: "th-ann", from: "th-cat", body: "me too", replyTo: q.id });
    const expected =
      `#${q.id} th-ann → th-bob (Plan) shall we?\n` +
      `  #${r1.id} th-bob → th-ann yes\n` +
      `    #${r2.id} th-ann → th-bob great then\n` +
      `  #${r3.id} th-cat → th-ann me too\n`;
    for (const from of [q.id, r2.id]) {
      const r = await runCli(["thread", String(from)], { env });
      expect(r).toMatchObject({ code: 0, stdout: expected, stderr: "" });
    }
    const json = JSON.parse((await runCli(["thread", String(r3.id), "--json"], { env })).stdout);
    expect(json.map((m: { id: number }) => m.id)).toEqual([q.id, r1.id, r2.id, r3.id]);

    // A runtime token sees only the thread's messages it may read (bob: from or to it).
    const bob = await t.mintToken("th-bob");
    const asBob = await t.call(bob, "GET", `/v1/messages/${r1.id}/thread`);
    expect(asBob.body.messages.map((m: { id: number }) => m.id)).toEqual([q.id, r1.id, r2.id]);
    const cat = await t.mintToken("th-dan");
    expect((await t.call(cat, "GET", `/v1/messages/${q.id}/thread`)).status).toBe(403);
  });

  test("an unknown id is one line and exit 1; a bad id exit 2", async () => {
    const r = await runCli(["thread", "999999"], { env });
    expect(r).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "agent-relay-runner thread: relay answered 404 not_found: message 999999 not found\n",
    });
    const bad = await runCli(["thread", "x"], { env });
    expect(bad.code).toBe(2);
  });
});
