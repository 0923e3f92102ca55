import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let t: TestRelay;
const clock = new ManualClock();

beforeAll(async () => {
  t = await startTestRelay({ clock, claimTtlMs: 60_000 });
});
afterAll(() => t.close());

const claimable = async () =>
  (await t.call(t.rootToken, "POST", "/v1/messages", { to: "broadcast", body: "job", claimable: true })).body
    .id as number;
const op = (path: string, agentId: string, extra: Record<string, unknown> = {}) =>
  t.call(t.rootToken, "POST", path, { agentId, ...extra });
const unreadIds = async (agent: string) =>
  (
    (await t.call(t.rootToken, "GET", `/v1/agents/${agent}/unread?limit=1000`)).body.messages as {
      id: number;
    }[]
  ).map((m) => m.id);

describe("claims", () => {
  test("50 concurrent claimers on one message produce exactly one winner; the losers learn who holds it", async () => {
    const id = await claimable();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => op(`/v1/messages/${id}/claim`, `racer-${i}`)),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    const winner = (await t.call(t.rootToken, "GET", `/v1/messages/${id}`)).body.claimedBy as string;
    expect(winner).toMatch(/^racer-/);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ ok: false, claimedBy: winner, error: { code: "claim_conflict" } });
    }
  });

  test("a claim answers its expiry and hides the message from other agents' inboxes while live", async () => {
    const id = await claimable();
    const r = await op(`/v1/messages/${id}/claim`, "holder");
    expect(r.body).toEqual({ ok: true, claimExpiresAt: clock.now() + 60_000 });
    expect(await unreadIds("holder")).toContain(id);
    expect(await unreadIds("bystander")).not.toContain(id);
  });

  test("an expired claim can be taken by another agent and the message is offered again", async () => {
    const id = await claimable();
    await op(`/v1/messages/${id}/claim`, "slow", { ttlMs: 1_000 });
    expect((await op(`/v1/messages/${id}/claim`, "fast")).status).toBe(409);
    await clock.advance(1_000);
    expect(await unreadIds("fast")).toContain(id);
    const taken = await op(`/v1/messages/${id}/claim`, "fast");
    expect(taken.status).toBe(200);
    // The old holder can no longer renew: someone else holds it now.
    const renew = await op(`/v1/messages/${id}/claim/renew`, "slow");
    expect(renew.status).toBe(409);
    expect(renew.body.claimedBy).toBe("fast");
  });

  test("renewal by the holder pushes the expiry out, so the claim survives past its first deadline", async () => {
    const id = await claimable();
    await op(`/v1/messages/${id}/claim`, "renewer", { ttlMs: 1_000 });
    await clock.advance(800);
    const renewed = await op(`/v1/messages/${id}/claim/renew`, "renewer", { ttlMs: 1_000 });
    expect(renewed.body).toEqual({ ok: true, claimExpiresAt: clock.now() + 1_000 });
    await clock.advance(800);
    expect((await op(`/v1/messages/${id}/claim`, "other")).status).toBe(409);
    // Claiming again as the holder is a renewal too.
    expect((await op(`/v1/messages/${id}/claim`, "renewer")).status).toBe(200);
  });

  test("only the holder renews or releases; a release makes the message claimable again", async () => {
    const id = await claimable();
    await op(`/v1/messages/${id}/claim`, "h1");
    expect((await op(`/v1/messages/${id}/claim/renew`, "h2")).status).toBe(409);
    expect((await op(`/v1/messages/${id}/release`, "h2")).status).toBe(409);
    expect((await op(`/v1/messages/${id}/release`, "h1")).body).toEqual({ ok: true });
    expect((await t.call(t.rootToken, "GET", `/v1/messages/${id}`)).body.claimedBy).toBeUndefined();
    expect((await op(`/v1/messages/${id}/claim`, "h2")).status).toBe(200);
  });

  test("a completed claim is settled: nobody can claim it and it leaves every inbox, even after the TTL", async () => {
    const id = await claimable();
    await op(`/v1/messages/${id}/claim`, "doer", { ttlMs: 1_000 });
    expect((await op(`/v1/messages/${id}/claim/complete`, "someone-else")).status).toBe(409);
    expect((await op(`/v1/messages/${id}/claim/complete`, "doer")).body).toEqual({ ok: true });
    // Completing twice is harmless.
    expect((await op(`/v1/messages/${id}/claim/complete`, "doer")).body).toEqual({ ok: true });
    await clock.advance(5_000);
    const again = await op(`/v1/messages/${id}/claim`, "late");
    expect(again.status).toBe(409);
    expect(again.body.claimedBy).toBe("doer");
    expect(await unreadIds("late")).not.toContain(id);
    expect(await unreadIds("doer")).not.toContain(id);
    const m = (await t.call(t.rootToken, "GET", `/v1/messages/${id}`)).body;
    expect(m.claimCompletedAt).toBeNumber();
    expect(m.claimExpiresAt).toBeUndefined();
  });

  test("claiming a non-claimable message is 400 not_claimable; a missing one is 404", async () => {
    const plain = (await t.call(t.rootToken, "POST", "/v1/messages", { to: "x", body: "x" })).body.id;
    const r = await op(`/v1/messages/${plain}/claim`, "a");
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("not_claimable");
    expect((await op("/v1/messages/987654/claim", "a")).status).toBe(404);
    expect((await op("/v1/messages/987654/claim/renew", "a")).status).toBe(404);
    expect((await op("/v1/messages/987654/release", "a")).status).toBe(404);
    expect((await op("/v1/messages/987654/claim/complete", "a")).status).toBe(404);
  });

  test("a bad claim body is 400: ttlMs out of range, missing agentId", async () => {
    const id = await claimable();
    expect((await op(`/v1/messages/${id}/claim`, "a", { ttlMs: 1 })).status).toBe(400);
    expect((await t.call(t.rootToken, "POST", `/v1/messages/${id}/claim`, {})).status).toBe(400);
  });

  test("a runtime token claiming, renewing, releasing or completing for another agent gets 403", async () => {
    const id = await claimable();
    const token = await t.mintToken("claim-me");
    for (const path of ["claim", "claim/renew", "release", "claim/complete"]) {
      const r = await t.call(token, "POST", `/v1/messages/${id}/${path}`, { agentId: "not-me" });
      expect(r.status).toBe(403);
    }
    expect((await t.call(token, "POST", `/v1/messages/${id}/claim`, { agentId: "claim-me" })).status).toBe(
      200,
    );
  });
});
