import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Message } from "../../src/protocol/index.ts";
import { RelayBusClient } from "../../src/relay-client/bus-client.ts";
import { RelayHttpClient } from "../../src/relay-client/http-client.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { type CliResult, runCli } from "./run-cli.ts";

// Each test spawns the real bin a few times (~0.5 s each, more on a loaded machine); bunfig cannot set this.
setDefaultTimeout(25_000);

let t: TestRelay;
let root: RelayHttpClient;
let home: string;
let env: Record<string, string>;

beforeAll(async () => {
  t = await startTestRelay();
  root = new RelayHttpClient({ relayUrl: t.url, token: t.rootToken });
  // An empty HOME: nothing from the developer's ~/.agent-relay can leak into these runs.
  home = mkdtempSync(join(tmpdir(), "cli-home-"));
  env = { HOME: home, AGENT_RELAY_URL: t.url, AGENT_RELAY_TOKEN: t.rootToken };
  // `send`, `command` and `task create --assignee` refuse targets no registered agent answers to: register
  // (then leave offline) the agents these tests address.
  for (const agentId of ["cli-bob", "cli-ivy", "cli-erin", "cli-frank", "file-user"]) {
    await (await t.openBus({ agentId })).close();
  }
  await (await t.openBus({ agentId: "cli-builder", tags: ["builders"], label: "cli-lead" })).close();
});
afterAll(async () => {
  await root.close();
  await t.close();
  rmSync(home, { recursive: true, force: true });
});

describe("messaging CLI", () => {
  test("send prints the new id; inbox lists it on one line; msg read prints it in full and marks it read", async () => {
    const sent = await runCli(
      ["send", "--to", "cli-bob", "--subject", "Greetings", "--from", "alice", "first line\nsecond line"],
      {
        env,
      },
    );
    expect(sent).toMatchObject({ code: 0, stderr: "" });
    const id = Number(sent.stdout.trim());
    expect(Number.isInteger(id) && id > 0).toBe(true);

    const inbox = await runCli(["inbox", "--agent", "cli-bob"], { env });
    expect(inbox.code).toBe(0);
    expect(inbox.stdout).toBe(`#${id} alice → cli-bob (Greetings) first line second line\n`);

    const read = await runCli(["msg", "read", String(id), "--agent", "cli-bob"], { env });
    expect(read.code).toBe(0);
    expect(read.stdout).toContain(`Message: #${id}\nFrom: alice\nTo: cli-bob`);
    expect(read.stdout).toContain("Subject: Greetings");
    expect(read.stdout.endsWith("\n\nfirst line\nsecond line\n")).toBe(true);
    expect((await root.getMessage(id)).readBy).toEqual(["cli-bob"]);
    // Nothing unread: stdout stays empty for scripts, and a person is told so on stderr.
    expect(await runCli(["inbox", "--agent", "cli-bob"], { env })).toMatchObject({
      code: 0,
      stdout: "",
      stderr: "no unread messages\n",
    });
  });

  test("msg read shows a recipient's refusal and its reason on one clean line", async () => {
    const m = await root.sendMessage({
      from: "alice",
      to: "cli-rex",
      body: "do task 4242",
      payload: { taskId: 4242 },
    });
    const rex = new RelayHttpClient({ relayUrl: t.url, token: await t.mintToken("cli-rex") });
    await rex.refuseMessage(m.id, "cli-rex", "task 4242 cannot be started:\u001b[2J not found");
    await rex.close();
    const read = await runCli(["msg", "read", String(m.id)], { env });
    expect(read.stdout).toContain(
      "Receipt: refused by cli-rex: task 4242 cannot be started: [2J not found\n",
    );
  });

  test("send --attach uploads files, and msg read lists them", async () => {
    const file = join(home, "notes.txt");
    writeFileSync(file, "attached text");
    const sent = await runCli(["send", "--to", "cli-ivy", "--attach", file, "see attachment"], { env });
    expect(sent.code).toBe(0);
    const m = await root.getMessage(Number(sent.stdout));
    expect(m.attachments).toMatchObject([{ name: "notes.txt", size: 13 }]);
    expect(new TextDecoder().decode(await root.downloadAttachment(m.attachments[0]?.id as string))).toBe(
      "attached text",
    );
    const read = await runCli(["msg", "read", String(m.id)], { env });
    expect(read.stdout).toContain(
      `Attachment: notes.txt (application/octet-stream, 13 bytes, id ${m.attachments[0]?.id})`,
    );
    // Without --agent or AGENT_RELAY_AGENT_ID, reading marks nothing.
    expect((await root.getMessage(m.id)).readBy).toEqual([]);
  });

  test("send reads the body from stdin with '-', and --json prints the whole message with every flag applied", async () => {
    const task = await root.createTask({ title: "linked" });
    const r = await runCli(
      [
        "send",
        "--to",
        "tag:builders",
        "--claimable",
        "--task-id",
        String(task.id),
        "--reply-required",
        "--urgent",
        "--kind",
        "task",
        "--json",
        "-",
      ],
      { env, stdin: "body from stdin" },
    );
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout) as Message;
    expect(m).toMatchObject({
      to: "tag:builders",
      body: "body from stdin",
      kind: "task",
      claimable: true,
      urgent: true,
      payload: { taskId: task.id, replyRequired: true },
    });
    const read = await runCli(["msg", "read", String(m.id)], { env });
    expect(read.stdout).toContain("Urgent: yes");
  });

  test("msg reply answers the original sender with replyTo, as the agent from AGENT_RELAY_AGENT_ID", async () => {
    const q = await root.sendMessage({ to: "cli-carol", from: "dave", body: "question?", subject: "Q" });
    const carolToken = await t.mintToken("cli-carol");
    const agentEnv = { ...env, AGENT_RELAY_TOKEN: carolToken, AGENT_RELAY_AGENT_ID: "cli-carol" };
    const r = await runCli(["msg", "reply", String(q.id), "answer!"], { env: agentEnv });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const reply = await root.getMessage(Number(r.stdout.trim()));
    expect(reply).toMatchObject({
      from: "cli-carol",
      to: "dave",
      replyTo: q.id,
      body: "answer!",
      subject: "Re: Q",
    });

    const react = await runCli(["msg", "react", String(q.id), "👍"], { env: agentEnv });
    expect(react).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect((await root.getMessage(q.id)).reactions.map((x) => [x.agentId, x.reaction])).toEqual([
      ["cli-carol", "👍"],
    ]);

    const inbox = await runCli(["inbox"], { env: agentEnv });
    expect(inbox.stdout).toContain(`#${q.id} dave → cli-carol (Q) question?`);
  });

  test("task create, status and show move a task and print its history", async () => {
    const created = await runCli(
      ["task", "create", "--title", "Ship it", "--body", "soon", "--assignee", "cli-erin"],
      { env },
    );
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    const moved = await runCli(
      ["task", "status", id, "in_progress", "--agent", "cli-erin", "--note", "started"],
      { env },
    );
    expect(moved).toMatchObject({ code: 0, stdout: `#${id} in_progress\n` });
    const shown = await runCli(["task", "show", id], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(
      `Task: #${id}\nTitle: Ship it\nStatus: in_progress\nAssignee: cli-erin\nHistory:`,
    );
    expect(shown.stdout).toMatch(/in_progress by cli-erin: started/);
    expect(shown.stdout.trimEnd().endsWith("soon")).toBe(true);
    // The assignee was told, by a message linked to the task.
    const told = (await root.getUnread("cli-erin")).filter((m) => m.kind === "task");
    expect(told).toMatchObject([
      { to: "cli-erin", subject: `Task #${id}: Ship it`, body: "soon", payload: { taskId: Number(id) } },
    ]);
  });

  test("task create --assignee refuses an agent that never registered, unless --queue", async () => {
    const refused = await runCli(["task", "create", "--title", "Orphan", "--assignee", "cli-nobody"], {
      env,
    });
    expect(refused).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "agent-relay-runner task create: --assignee: no registered agent 'cli-nobody'; pass --queue to assign it to an agent that registers later\n",
    });
    const queued = await runCli(
      ["task", "create", "--title", "Later", "--assignee", "cli-nobody", "--queue"],
      { env },
    );
    expect(queued).toMatchObject({ code: 0, stderr: "" });
    const id = Number(queued.stdout.trim());
    expect((await root.getTask(id)).assignee).toBe("cli-nobody");
    expect((await root.getUnread("cli-nobody")).map((m) => [m.kind, m.payload.taskId])).toEqual([
      ["task", id],
    ]);
  });

  test("send to an id, label, tag or capability no registered agent answers to fails and stores nothing; --queue sends anyway", async () => {
    for (const to of ["cli-ghost", "label:ghost", "tag:ghost", "cap:ghost"]) {
      const r = await runCli(["send", "--to", to, "anyone?"], { env });
      expect(r).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `agent-relay-runner send: no registered agent answers to '${to}'; pass --queue to keep it for an agent that registers later\n`,
      });
    }
    expect(await root.getUnread("cli-ghost")).toEqual([]);
    // A label or tag an (offline) registered agent holds is a recipient; broadcast always is.
    for (const to of ["label:cli-lead", "tag:builders", "broadcast"]) {
      expect((await runCli(["send", "--to", to, "hello"], { env })).code).toBe(0);
    }
    const queued = await runCli(["send", "--to", "cli-ghost", "--queue", "for later"], { env });
    expect(queued).toMatchObject({ code: 0, stderr: "" });
    const direct = (await root.getUnread("cli-ghost")).filter((m) => m.to === "cli-ghost");
    expect(direct.map((m) => m.body)).toEqual(["for later"]);
  });

  test("command to a target no registered agent or runner answers to fails at once; an offline agent's stays pending", async () => {
    const started = Date.now();
    const r = await runCli(["command", "--target", "cli-nosuch", "--type", "agent.restart", "--wait"], {
      env,
    });
    expect(r).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "agent-relay-runner command: relay answered 404 not_found: no registered agent or runner answers to 'cli-nosuch'\n",
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    const offline = await runCli(["command", "--target", "cli-frank", "--type", "agent.compact", "--json"], {
      env,
    });
    expect(offline.code).toBe(0);
    expect(JSON.parse(offline.stdout)).toMatchObject({ target: "cli-frank", status: "pending" });
  });

  test("command prints the id at once, and --wait prints the outcome once the target's runner finishes it", async () => {
    const plain = await runCli(["command", "--target", "cli-frank", "--type", "agent.compact"], { env });
    expect(plain.code).toBe(0);
    expect((await root.getCommand(plain.stdout.trim())).type).toBe("agent.compact");

    // A runner for the target: takes the pushed command and reports success.
    const token = await t.mintToken("cli-runner");
    const runner = new RelayBusClient({
      relayUrl: t.url,
      token,
      logger: silentLogger(),
      hello: {
        role: "provider",
        componentId: "r",
        agentId: "cli-runner",
        instanceId: "i",
        machine: "m",
        capabilities: [],
        tags: [],
        meta: {},
      },
    });
    const runnerHttp = new RelayHttpClient({ relayUrl: t.url, token });
    runner.on("command", (c) => {
      if (c.type === "agent.restart")
        void runnerHttp.setCommandStatus(c.id, { status: "succeeded", result: { restarted: true } });
    });
    try {
      runner.start();
      await runner.waitForOpen({ timeoutMs: 5_000 });
      const r = await runCli(
        [
          "command",
          "--target",
          "cli-runner",
          "--type",
          "agent.restart",
          "--params",
          '{"reason":"test"}',
          "--wait",
          "--timeout",
          "10000",
        ],
        { env },
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\S+ succeeded \{"restarted":true\}\n$/);
    } finally {
      await runner.close();
      await runnerHttp.close();
    }
  });

  test("bad option values exit 2 naming the option, before anything is sent", async () => {
    const cases: [string[], string][] = [
      [["send", "--to", "not a target", "hi"], "agent-relay-runner send: --to:"],
      [
        ["send", "--to", "bob", "--task-id", "seven", "hi"],
        "agent-relay-runner send: --task-id: must be a positive integer",
      ],
      [["inbox", "--agent", "bob", "--limit", "5000"], "agent-relay-runner inbox: --limit: must be 1-1000"],
      [["msg", "read", "abc"], "agent-relay-runner msg read: <id>: must be a positive integer"],
      [["task", "status", "1", "finished", "--agent", "bob"], "agent-relay-runner task status: <status>:"],
      [
        ["command", "--target", "bob", "--type", "agent.restart", "--params", "{oops"],
        "--params: must be JSON",
      ],
      [
        ["send", "--frobnicate", "--to", "bob", "hi"],
        "agent-relay-runner send: unknown option '--frobnicate'",
      ],
      [["msg", "react", "1", "eyes"], "--agent is required"],
      [["send", "--to", "bob", "--subject", "s".repeat(1001), "hi"], "--subject: Too big"],
    ];
    const before = (await root.getUnread("bob")).length;
    // Three at a time: enough to keep the test short without starving a small machine.
    const results: CliResult[] = [];
    for (let i = 0; i < cases.length; i += 3) {
      results.push(...(await Promise.all(cases.slice(i, i + 3).map(([args]) => runCli(args, { env })))));
    }
    results.forEach((r, i) => {
      expect({ args: cases[i]?.[0], code: r.code, stdout: r.stdout }).toEqual({
        args: cases[i]?.[0],
        code: 2,
        stdout: "",
      });
      expect(r.stderr).toContain(cases[i]?.[1] as string);
    });
    expect((await root.getUnread("bob")).length).toBe(before);
  });

  test("relay refusals exit 1 with one line on stderr, and never print the token", async () => {
    const graceToken = await t.mintToken("cli-gina");
    const forbidden = await runCli(["inbox", "--agent", "someone-else"], {
      env: { ...env, AGENT_RELAY_TOKEN: graceToken },
    });
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/^agent-relay-runner inbox: relay answered 403 forbidden: [^\n]+\n$/);
    expect(forbidden.stderr).not.toContain(graceToken);

    const unauthorized = await runCli(["send", "--to", "bob", "hi"], {
      env: { ...env, AGENT_RELAY_TOKEN: "s3cret-but-wrong" },
    });
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toStartWith("agent-relay-runner send: relay answered 401 unauthorized");
    expect(unauthorized.stderr + unauthorized.stdout).not.toContain("s3cret-but-wrong");

    const missing = await runCli(["task", "show", "99999"], { env });
    expect(missing).toMatchObject({ code: 1, stdout: "" });
    expect(missing.stderr).toContain("404 not_found");
  });

  test("an unreachable relay exits 1 with a one-line reason", async () => {
    const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const deadUrl = `http://127.0.0.1:${s.port}`;
    s.stop(true);
    const r = await runCli(["inbox", "--agent", "bob"], { env: { ...env, AGENT_RELAY_URL: deadUrl } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^agent-relay-runner inbox: GET \/v1\/agents\/bob\/unread: relay unreachable[^\n]*\n$/,
    );
  });
});

describe("messaging CLI finding the relay", () => {
  let fileHome: string;
  beforeAll(() => {
    fileHome = mkdtempSync(join(tmpdir(), "cli-home-file-"));
    mkdirSync(join(fileHome, ".agent-relay"), { mode: 0o700 });
    writeFileSync(
      join(fileHome, ".agent-relay", "relay.json"),
      JSON.stringify({ url: t.url, rootToken: t.rootToken }),
      {
        mode: 0o600,
      },
    );
  });
  afterAll(() => rmSync(fileHome, { recursive: true, force: true }));

  test("with no flags or env it uses ~/.agent-relay/relay.json from HOME", async () => {
    const r = await runCli(["send", "--to", "file-user", "via relay.json"], { env: { HOME: fileHome } });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect((await root.getMessage(Number(r.stdout))).body).toBe("via relay.json");
  });

  test("the file's root token is not sent to a relay the file does not describe", async () => {
    const r = await runCli(["inbox", "--agent", "x", "--relay-url", "http://127.0.0.1:9"], {
      env: { HOME: fileHome },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "agent-relay-runner inbox: no token for http://127.0.0.1:9: pass --token-file or set AGENT_RELAY_TOKEN\n",
    );
  });

  test("with no relay anywhere it exits 2 and says how to get one", async () => {
    const r = await runCli(["inbox", "--agent", "x"], { env: { HOME: home } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no relay: pass --relay-url, set AGENT_RELAY_URL");
  });

  test("a malformed relay.json exits 2 naming the file, never echoing its content", async () => {
    const bad = mkdtempSync(join(tmpdir(), "cli-home-bad-"));
    try {
      mkdirSync(join(bad, ".agent-relay"));
      writeFileSync(
        join(bad, ".agent-relay", "relay.json"),
        '{"url": "http://x", "rootToken": tok-SECRET-ish',
      );
      const r = await runCli(["inbox", "--agent", "x"], { env: { HOME: bad } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(join(bad, ".agent-relay", "relay.json"));
      expect(r.stderr).not.toContain("SECRET");
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
