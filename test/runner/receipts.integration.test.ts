// Delivery receipts end to end with a real runner (command provider, real tmux) and the real CLI: the sender sees
// queued → delivered → answered, a refusal with its reason, and `send --wait` says where a message stands.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../cli/run-cli.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { cleanupCommandClis, spawnCommandCli } from "../support/runner-cli.ts";

setDefaultTimeout(45_000);

let t: TestRelay;
let home: string;
let env: Record<string, string>;
beforeAll(async () => {
  t = await startTestRelay();
  home = mkdtempSync(join(tmpdir(), "receipts-home-"));
  env = { HOME: home, AGENT_RELAY_URL: t.url, AGENT_RELAY_TOKEN: t.rootToken };
});
afterEach(() => cleanupCommandClis());
afterAll(async () => {
  await t.close();
  rmSync(home, { recursive: true, force: true });
});

const receiptsOf = async (id: number) =>
  (await t.call(t.rootToken, "GET", `/v1/messages/${id}`)).body.receipts as {
    agentId: string;
    state: string;
    reason?: string;
    at: number;
  }[];

describe("delivery receipts with a real runner", () => {
  test("send --wait delivered returns once the runner wrote it; the agent's reply makes it answered", async () => {
    const agentId = "rcpt-echo";
    const token = await t.mintToken(agentId);
    const cli = spawnCommandCli({ agentId, relayUrl: t.url, token });
    await cli.up();
    const sent = await runCli(
      ["send", "--to", agentId, "--from", "boss", "--wait", "delivered", "--timeout", "20s", "hello there"],
      { env, timeoutMs: 30_000 },
    );
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const [idLine, stateLine] = sent.stdout.trim().split("\n");
    const id = Number(idLine);
    expect(stateLine).toBe(`delivered for '${agentId}'`);
    expect(await receiptsOf(id)).toEqual([{ agentId, state: "delivered", at: expect.any(Number) }]);
    // The agent answers through its own token, as its skill would.
    const agentEnv = { ...env, AGENT_RELAY_TOKEN: token, AGENT_RELAY_AGENT_ID: agentId };
    const reply = await runCli(["msg", "reply", String(id), "done"], { env: agentEnv });
    expect(reply.code).toBe(0);
    expect(await receiptsOf(id)).toEqual([{ agentId, state: "answered", at: expect.any(Number) }]);
    const again = await runCli(["send", "--to", agentId, "--wait", "answered", "--timeout", "1s", "x"], {
      env,
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/was not answered within 1s: (queued|claimed|delivered) for 'rcpt-echo'/);
  });

  test("to an agent whose runner is not running, send --wait seen fails at the timeout saying it is queued", async () => {
    const started = Date.now();
    const res = await runCli(
      ["send", "--to", "rcpt-nobody", "--queue", "--wait", "seen", "--timeout", "1s", "are you there?"],
      { env },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/message \d+ was not seen within 1s: queued for 'rcpt-nobody'/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  test("a message the runner can never deliver shows refused with the reason, and send --wait says so", async () => {
    const agentId = "rcpt-refuser";
    const cli = spawnCommandCli({ agentId, relayUrl: t.url, token: await t.mintToken(agentId) });
    await cli.up();
    const res = await runCli(
      ["send", "--to", agentId, "--task-id", "987654", "--wait", "delivered", "--timeout", "20s", "do it"],
      { env, timeoutMs: 30_000 },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/will not be delivered: refused for 'rcpt-refuser' \(task 987654 .+\)/);
    const id = Number(res.stdout.trim());
    expect(await receiptsOf(id)).toEqual([
      { agentId, state: "refused", reason: expect.stringContaining("task 987654"), at: expect.any(Number) },
    ]);
  });

  test("--wait and --timeout refuse bad values before anything is sent", async () => {
    const bad = await runCli(["send", "--to", "rcpt-nobody", "--queue", "--wait", "read", "x"], { env });
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toContain("--wait: expected one of delivered, seen, answered");
    const badTimeout = await runCli(
      ["send", "--to", "rcpt-nobody", "--queue", "--wait", "seen", "--timeout", "soon", "x"],
      { env },
    );
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toContain("--timeout");
    expect(badTimeout.stdout).toBe("");
  });
});
