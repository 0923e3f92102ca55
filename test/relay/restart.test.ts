import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RelayHandle, startRelay } from "../../src/relay/index.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { spawnRelayProcess } from "../support/relay-process.ts";
import { waitFor } from "../support/wait-for.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "relay-restart-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function relayOn(dbPath: string, rootToken = "root-token-for-restart-tests"): Promise<TestRelay> {
  const t = await startTestRelay({ dbPath, rootToken });
  cleanups.push(() => t.close());
  return t;
}

describe("relay restart", () => {
  test("a restart on the same database keeps messages, claims, reads, reactions, tasks, commands, agents and tokens", async () => {
    const db = join(tempDir(), "relay.db");
    const before = await relayOn(db);
    const token = await before.mintToken("keep-a");
    await before.openBus({ agentId: "keep-a", token, label: "keeper", tags: ["t"] });
    const post = (path: string, body: unknown, as = before.rootToken) => before.call(as, "POST", path, body);
    const plain = (
      await post("/v1/messages", { to: "keep-a", body: "plain", payload: { replyRequired: true } })
    ).body;
    const job = (await post("/v1/messages", { to: "tag:t", body: "job", claimable: true })).body;
    await post(`/v1/messages/${job.id}/claim`, { agentId: "keep-a" }, token);
    await post(`/v1/messages/${plain.id}/read`, { agentId: "keep-a" }, token);
    await post(`/v1/messages/${plain.id}/reactions`, { agentId: "keep-a", reaction: "ok" }, token);
    const task = (await post("/v1/tasks", { title: "t" })).body;
    await post(`/v1/tasks/${task.id}/status`, { status: "in_progress", agentId: "keep-a" }, token);
    const command = (await post("/v1/commands", { target: "keep-a", type: "agent.restart" })).body;
    await post(`/v1/commands/${command.id}/status`, { status: "accepted" }, token);
    const renewable = await before.mintToken("keep-b");
    await post("/v1/tokens/renew", {}, renewable);
    const snapshot = {
      plain: (await before.call(token, "GET", `/v1/messages/${plain.id}`)).body,
      job: (await before.call(token, "GET", `/v1/messages/${job.id}`)).body,
      task: (await before.call(token, "GET", `/v1/tasks/${task.id}`)).body,
      command: (await before.call(token, "GET", `/v1/commands/${command.id}`)).body,
      agent: (await before.call(token, "GET", "/v1/agents/keep-a")).body,
    };
    await before.close();

    const after = await relayOn(db);
    // The signing secret is persisted, so tokens minted before the restart still work.
    expect((await after.call(token, "GET", `/v1/messages/${plain.id}`)).body).toEqual(snapshot.plain);
    expect((await after.call(token, "GET", `/v1/messages/${job.id}`)).body).toEqual(snapshot.job);
    expect((await after.call(token, "GET", `/v1/tasks/${task.id}`)).body).toEqual(snapshot.task);
    expect((await after.call(token, "GET", `/v1/commands/${command.id}`)).body).toEqual(snapshot.command);
    const agent = (await after.call(token, "GET", "/v1/agents/keep-a")).body;
    expect(agent).toMatchObject({ id: "keep-a", label: "keeper", tags: ["t"] });
    // The claim is still held: another agent cannot take it.
    expect(
      (await after.call(after.rootToken, "POST", `/v1/messages/${job.id}/claim`, { agentId: "x" })).status,
    ).toBe(409);
    expect(snapshot.job.claimedBy).toBe("keep-a");
    // Ids keep growing after a restart.
    const next = (await after.call(after.rootToken, "POST", "/v1/messages", { to: "x", body: "n" })).body;
    expect(next.id).toBeGreaterThan(job.id);
    // The obligation survived too.
    const obligations = (await after.call(token, "GET", "/v1/agents/keep-a/reply-obligations")).body.messages;
    expect(obligations.map((m: { id: number }) => m.id)).toContain(plain.id);
  });

  test("a revoked token stays revoked after a restart", async () => {
    const db = join(tempDir(), "relay.db");
    let relay: RelayHandle | undefined = await startRelay({
      port: 0,
      dbPath: db,
      rootToken: "r".repeat(32),
      tokenGraceMs: 0,
    });
    cleanups.push(() => relay?.stop());
    const headers = (token: string) => ({
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
    });
    const minted = await fetch(`${relay.url}/v1/tokens`, {
      method: "POST",
      headers: headers(relay.rootToken),
      body: JSON.stringify({ agentId: "rev", profileId: "provider-agent", ttlSeconds: 3600 }),
    });
    const old = ((await minted.json()) as { token: string }).token;
    expect(
      (await fetch(`${relay.url}/v1/tokens/renew`, { method: "POST", headers: headers(old) })).status,
    ).toBe(200);
    await relay.stop();
    relay = await startRelay({ port: 0, dbPath: db, rootToken: "r".repeat(32) });
    const res = await fetch(`${relay.url}/v1/agents/rev/unread`, { headers: headers(old) });
    expect(res.status).toBe(401);
  });

  test("acknowledged messages survive a SIGKILL of the relay process mid-stream", async () => {
    const dir = tempDir();
    const db = join(dir, "relay.db");
    const child = spawnRelayProcess(["--port", "0", "--db", db], { HOME: dir });
    cleanups.push(() => child.kill());
    const url = await child.waitForUrl();
    const info = await waitFor(() => {
      try {
        return JSON.parse(readFileSync(join(dir, ".agent-relay", "relay.json"), "utf8")) as {
          rootToken: string;
        };
      } catch {
        return undefined;
      }
    });
    const acked = new Map<number, string>();
    let killed = false;
    // Four writers stream messages; the relay is killed while they are still sending.
    const writer = async (w: number) => {
      for (let i = 0; !killed; i++) {
        const body = `w${w}-m${i}`;
        try {
          const res = await fetch(`${url}/v1/messages`, {
            method: "POST",
            headers: { authorization: `Bearer ${info.rootToken}`, "content-type": "application/json" },
            body: JSON.stringify({ to: "sink", body }),
          });
          if (res.status === 200) acked.set(((await res.json()) as { id: number }).id, body);
        } catch {
          return;
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    await waitFor(() => acked.size >= 200, { what: "200 acknowledged messages" });
    child.proc.kill("SIGKILL");
    killed = true;
    await child.exited;
    await Promise.all(writers);

    const after = await relayOn(db, info.rootToken);
    const ids = [...acked.keys()];
    for (const id of ids) {
      const got = await after.call(after.rootToken, "GET", `/v1/messages/${id}`);
      expect(got.status).toBe(200);
      expect(got.body.body).toBe(acked.get(id)!);
    }
  });
});
