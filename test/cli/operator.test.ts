// People are participants: an operator token minted for a person, who sends as themselves, reads replies in their
// own inbox, commands agents, and cannot act as anyone else. The real bin against a real relay.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RelayHttpClient } from "../../src/relay-client/http-client.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { runCli } from "./run-cli.ts";

setDefaultTimeout(30_000);

let t: TestRelay;
let root: RelayHttpClient;
let home: string;
let rootEnv: Record<string, string>;
let aliceEnv: Record<string, string>;

beforeAll(async () => {
  t = await startTestRelay();
  root = new RelayHttpClient({ relayUrl: t.url, token: t.rootToken });
  home = mkdtempSync(join(tmpdir(), "cli-op-home-"));
  rootEnv = { HOME: home, AGENT_RELAY_URL: t.url, AGENT_RELAY_TOKEN: t.rootToken };
  await (await t.openBus({ agentId: "op-bob" })).close();
});
afterAll(async () => {
  await root.close();
  await t.close();
  rmSync(home, { recursive: true, force: true });
});

describe("operator tokens", () => {
  test("token create mints a person's token, printed once on its own; whoami says who the CLI acts as", async () => {
    const minted = await runCli(["token", "create", "--role", "operator", "--name", "alice"], {
      env: rootEnv,
    });
    expect(minted).toMatchObject({ code: 0, stderr: "" });
    const token = minted.stdout.trim();
    expect(minted.stdout).toBe(`${token}\n`);
    expect(token.split(".")).toHaveLength(3);
    aliceEnv = { HOME: home, AGENT_RELAY_URL: t.url, AGENT_RELAY_TOKEN: token };

    expect(await runCli(["whoami"], { env: rootEnv })).toMatchObject({
      code: 0,
      stdout: "root (the relay's administrator token)\n",
    });
    const me = await runCli(["whoami"], { env: aliceEnv });
    expect(me.code).toBe(0);
    expect(me.stdout).toMatch(/^alice \(operator, until \d{4}-\d\d-\d\dT[\d:.]+Z\)\n$/);
    const json = JSON.parse((await runCli(["whoami", "--json"], { env: aliceEnv })).stdout);
    expect(json).toMatchObject({ kind: "operator", name: "alice", profileId: "operator" });

    // The token also works from a file (a teammate on another machine gets it that way).
    const file = join(home, "alice.token");
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    const viaFile = await runCli(["whoami", "--token-file", file], {
      env: { HOME: home, AGENT_RELAY_URL: t.url },
    });
    expect(viaFile.stdout).toStartWith("alice (operator");
  });

  test("an operator sends as its name, the agent's reply reaches its own inbox, and it cannot act as anyone else", async () => {
    const sent = await runCli(["send", "--to", "op-bob", "please review"], { env: aliceEnv });
    expect(sent).toMatchObject({ code: 0, stderr: "" });
    const question = await root.getMessage(Number(sent.stdout));
    expect(question.from).toBe("alice");

    // The agent answers with its own token; it may also address alice directly (a live operator is a recipient).
    const bobEnv = { HOME: home, AGENT_RELAY_URL: t.url, AGENT_RELAY_TOKEN: await t.mintToken("op-bob") };
    const reply = await runCli(["msg", "reply", String(question.id), "looks good", "--from", "op-bob"], {
      env: bobEnv,
    });
    expect(reply.code).toBe(0);
    const direct = await runCli(["send", "--to", "alice", "also: done"], {
      env: { ...bobEnv, AGENT_RELAY_AGENT_ID: "op-bob" },
    });
    expect(direct).toMatchObject({ code: 0, stderr: "" });

    const inbox = await runCli(["inbox"], { env: aliceEnv });
    expect(inbox).toMatchObject({ code: 0, stderr: "" });
    expect(inbox.stdout).toBe(
      `#${reply.stdout.trim()} op-bob → alice looks good\n#${direct.stdout.trim()} op-bob → alice also: done\n`,
    );

    // Reading marks it read for alice (the token's name), so the inbox moves on.
    const read = await runCli(["msg", "read", reply.stdout.trim()], { env: aliceEnv });
    expect(read.code).toBe(0);
    expect(read.stdout).toContain("From: op-bob\nTo: alice");
    expect((await root.getMessage(Number(reply.stdout))).readBy).toEqual(["alice"]);
    expect((await runCli(["inbox"], { env: aliceEnv })).stdout).toBe(
      `#${direct.stdout.trim()} op-bob → alice also: done\n`,
    );

    const asBob = await runCli(["send", "--to", "op-bob", "--from", "op-bob", "hi"], { env: aliceEnv });
    expect(asBob.code).toBe(1);
    expect(asBob.stderr).toBe(
      "agent-relay-runner send: relay answered 403 forbidden: this token acts as 'alice' and cannot send as 'op-bob'\n",
    );
    const bobsInbox = await runCli(["inbox", "--agent", "op-bob"], { env: aliceEnv });
    expect(bobsInbox.code).toBe(1);
    expect(bobsInbox.stderr).toStartWith("agent-relay-runner inbox: relay answered 403 forbidden:");
    // A person is not an agent: the operator token cannot say hello on the bus.
    const bus = await t.openBus({ agentId: "alice", token: aliceEnv.AGENT_RELAY_TOKEN! });
    expect(bus.frames[0]).toMatchObject({
      type: "error",
      code: "conflict",
      message: "an operator token is a person's and cannot register as an agent",
    });
    await bus.close();
    const mint = await runCli(["token", "create", "--name", "mallory"], { env: aliceEnv });
    expect(mint).toMatchObject({
      code: 1,
      stderr:
        "agent-relay-runner token create: relay answered 403 forbidden: only the root token can mint tokens\n",
    });
  });

  test("an operator commands any registered agent and reads the command; an agent's token still cannot", async () => {
    const cmd = await runCli(["compact", "op-bob", "--no-wait", "--json"], { env: aliceEnv });
    expect(cmd).toMatchObject({ code: 0, stderr: "" });
    const id = JSON.parse(cmd.stdout).id as string;
    const aliceToken = aliceEnv.AGENT_RELAY_TOKEN!;
    expect((await t.call(aliceToken, "GET", `/v1/commands/${id}`)).status).toBe(200);
    // Reporting a command's outcome stays the target's.
    expect(
      (await t.call(aliceToken, "POST", `/v1/commands/${id}/status`, { status: "accepted" })).status,
    ).toBe(403);
    const otherAgent = await t.mintToken("op-carl");
    expect(
      (await t.call(otherAgent, "POST", "/v1/commands", { target: "op-bob", type: "agent.compact" })).status,
    ).toBe(403);
  });

  test("a person's name cannot be a registered agent's; bad roles and lifetimes are usage errors", async () => {
    const taken = await runCli(["token", "create", "--name", "op-bob"], { env: rootEnv });
    expect(taken).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "agent-relay-runner token create: relay answered 409 conflict: 'op-bob' is a registered agent; an operator needs a name of its own\n",
    });
    const role = await runCli(["token", "create", "--name", "zed", "--role", "admin"], { env: rootEnv });
    expect(role.code).toBe(2);
    expect(role.stderr).toStartWith("agent-relay-runner token create: --role: ");
    const ttl = await runCli(["token", "create", "--name", "zed", "--ttl-days", "90"], { env: rootEnv });
    expect(ttl).toMatchObject({
      code: 2,
      stderr: 'agent-relay-runner token create: --ttl-days: must be 1-30 (got "90")\n',
    });
    const longTtl = await runCli(["token", "create", "--name", "zed", "--ttl", "31d"], { env: rootEnv });
    expect(longTtl.code).toBe(2);
    expect(longTtl.stderr).toStartWith(
      "agent-relay-runner token create: --ttl: expected a duration like 90s",
    );
    const both = await runCli(["token", "create", "--name", "zed", "--ttl", "1d", "--ttl-days", "1"], {
      env: rootEnv,
    });
    expect(both).toMatchObject({
      code: 2,
      stderr: "agent-relay-runner token create: give --ttl or --ttl-days, not both\n",
    });
    // --ttl 7d: the token says it lasts 7 days.
    const week = await runCli(["token", "create", "--name", "zed", "--role", "operator", "--ttl", "7d"], {
      env: rootEnv,
    });
    expect(week.code).toBe(0);
    const zed = await runCli(["whoami", "--json"], {
      env: { ...rootEnv, AGENT_RELAY_TOKEN: week.stdout.trim() },
    });
    const left = JSON.parse(zed.stdout).expiresAt * 1000 - Date.now();
    expect(left).toBeGreaterThan(7 * 86_400_000 - 120_000);
    expect(left).toBeLessThanOrEqual(7 * 86_400_000);
    // An agent token for an agent id is allowed (e.g. for a runner on another machine).
    const agent = await runCli(["token", "create", "--name", "op-bob", "--role", "agent"], { env: rootEnv });
    expect(agent.code).toBe(0);
    const bobSays = await runCli(["whoami"], { env: { ...rootEnv, AGENT_RELAY_TOKEN: agent.stdout.trim() } });
    expect(bobSays.stdout).toStartWith("op-bob (agent, until ");
  });
});
