// Issue 9 item 17: a runtime token cannot grow the relay without bound — creates are rate-limited per agent
// (429 with Retry-After), attachment storage has a per-agent quota, old messages are deleted by retention, and
// attachments no message uses are removed after a grace period. Root is exempt from the rate and the quota.
import { afterEach, describe, expect, test } from "bun:test";
import type { RelayQuotas } from "../../src/relay/quotas.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

const DAY = 24 * 3600_000;
const MiB = 1024 * 1024;

let t: TestRelay | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function relayWith(quotas: Partial<RelayQuotas>): Promise<{ t: TestRelay; clock: ManualClock }> {
  const clock = new ManualClock(Date.now());
  // The offline sweep is moved out of the way: these tests advance the clock by days.
  t = await startTestRelay({ clock, quotas, offlineSweepMs: 7 * DAY });
  return { t, clock };
}

async function upload(relay: TestRelay, token: string, bytes: number, name = "f.bin") {
  const res = await relay.fetchAs(token, `/v1/attachments?name=${name}`, {
    method: "POST",
    body: new Uint8Array(bytes),
    headers: { "content-type": "application/octet-stream" },
  });
  return { status: res.status, body: (await res.json()) as { id?: string; error?: { message: string } } };
}

describe("per-agent rate of creates", () => {
  test("burst 20 then 10/s: the 21st send is a 429 with Retry-After; root is exempt; a second later 10 more pass", async () => {
    const { t, clock } = await relayWith({ sendRatePerSecond: 10, sendBurst: 20 });
    const token = await t.mintToken("chatty");
    const send = (tok: string) => t.call(tok, "POST", "/v1/messages", { to: "sink", body: "x" });
    const first = await Promise.all(Array.from({ length: 20 }, () => send(token)));
    expect(first.every((a) => a.status === 200)).toBe(true);
    const res = await t.fetchAs(token, "/v1/messages", {
      method: "POST",
      body: JSON.stringify({ to: "sink", body: "over" }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { retryAfterMs: number } };
    };
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.message).toContain("agent 'chatty' is over its rate of 10 creates a second");
    expect(body.error.details.retryAfterMs).toBe(100);
    // Uploads, tasks and reactions draw on the same bucket.
    expect((await upload(t, token, 10)).status).toBe(429);
    expect((await t.call(token, "POST", "/v1/tasks", { title: "t" })).status).toBe(429);
    const reacted = await t.call(token, "POST", "/v1/messages/1/reactions", {
      agentId: "chatty",
      reaction: "+1",
    });
    expect(reacted.status).toBe(429);
    // Root is not limited, nor is another agent.
    const rootSends = await Promise.all(Array.from({ length: 100 }, () => send(t.rootToken)));
    expect(rootSends.filter((a) => a.status !== 200)).toHaveLength(0);
    expect((await send(await t.mintToken("quiet"))).status).toBe(200);
    await clock.advance(1_000);
    const later = await Promise.all(Array.from({ length: 11 }, () => send(token)));
    expect(later.map((a) => a.status).filter((s) => s === 200)).toHaveLength(10);
  });
});

describe("attachment storage per agent", () => {
  test("a 3 MiB quota: three 1 MiB uploads pass, the fourth is a 413 naming the quota; root and other agents are not counted", async () => {
    const { t } = await relayWith({ attachmentQuotaBytes: 3 * MiB });
    const token = await t.mintToken("hoarder");
    for (let i = 0; i < 3; i++) expect((await upload(t, token, MiB)).status).toBe(200);
    const over = await upload(t, token, MiB);
    expect(over.status).toBe(413);
    expect(over.body.error!.message).toContain(`agent 'hoarder' stores ${3 * MiB} bytes of attachments`);
    expect(over.body.error!.message).toContain(`quota of ${3 * MiB}`);
    expect((await upload(t, t.rootToken, 4 * MiB)).status).toBe(200);
    expect((await upload(t, await t.mintToken("other"), MiB)).status).toBe(200);
  });
});

describe("retention", () => {
  test("read messages go after 7 days, all after 30; attachments no message uses go after the 1 h grace, used ones stay", async () => {
    const { t, clock } = await relayWith({
      retainReadMs: 7 * DAY,
      retainMs: 30 * DAY,
      attachmentGraceMs: 3600_000,
      retentionSweepMs: 3600_000,
      attachmentQuotaBytes: 2 * MiB,
    });
    const token = await t.mintToken("keeper", "provider-agent", 30 * 24 * 3600);
    const used = await upload(t, token, MiB, "used.bin");
    const unused = await upload(t, token, MiB, "unused.bin");
    const send = async (body: string, extra: object = {}) =>
      (await t.call(t.rootToken, "POST", "/v1/messages", { to: "keeper", body, ...extra })).body.id as number;
    const read = await send("read");
    const unread = await send("unread", { attachmentIds: [used.body.id] });
    await t.call(token, "POST", `/v1/messages/${read}/read`, { agentId: "keeper" });
    await t.call(token, "POST", `/v1/messages/${read}/reactions`, { agentId: "keeper", reaction: "ok" });
    const exists = async (path: string) => (await t.rootFetch(path)).status;

    // Within the grace nothing goes; after it, only the attachment no message uses — and its bytes are
    // free again under the quota.
    expect((await upload(t, token, MiB)).status).toBe(413);
    await clock.advance(2 * 3600_000);
    expect(await exists(`/v1/attachments/${unused.body.id}`)).toBe(404);
    expect(await exists(`/v1/attachments/${used.body.id}`)).toBe(200);
    expect((await upload(t, token, MiB)).status).toBe(200);

    await clock.advance(7 * DAY);
    expect(await exists(`/v1/messages/${read}`)).toBe(404);
    expect(await exists(`/v1/messages/${unread}`)).toBe(200);
    const unreadList = await t.call(t.rootToken, "GET", "/v1/agents/keeper/unread");
    expect(unreadList.body.messages.map((m: { id: number }) => m.id)).toEqual([unread]);

    await clock.advance(23 * DAY);
    expect(await exists(`/v1/messages/${unread}`)).toBe(404);
    // Its attachment is no longer used by any message, and is past the grace: it went in the same sweep.
    expect(await exists(`/v1/attachments/${used.body.id}`)).toBe(404);
  });

  test("0 keeps messages forever", async () => {
    const { t, clock } = await relayWith({ retainReadMs: 0, retainMs: 0, retentionSweepMs: DAY });
    const id = (await t.call(t.rootToken, "POST", "/v1/messages", { to: "x", body: "old" })).body.id;
    await t.call(t.rootToken, "POST", `/v1/messages/${id}/read`, { agentId: "x" });
    await clock.advance(400 * DAY);
    expect((await t.rootFetch(`/v1/messages/${id}`)).status).toBe(200);
  });
});
