// The claim contract on every store: conditional claims, renewals, releases, completions, batches, read marks and
// reactions, and exactly-once claims raced from several connections on one database.
import { expect, test } from "bun:test";
import type { NewMessage, Store } from "../../../../src/relay/store/types.ts";
import { forEachStore, T0 } from "./for-each-store.ts";

const message = (over: Partial<NewMessage> = {}): NewMessage => ({
  from: "alice",
  to: "workers",
  kind: "chat",
  body: "job",
  payload: {},
  claimable: true,
  attachments: [],
  createdAt: T0,
  ...over,
});

async function insert(s: Store, over: Partial<NewMessage> = {}): Promise<number> {
  return (await s.messages.insertBatch([message(over)]))[0]!.id;
}

forEachStore((open) => {
  test("a claim is taken once; another agent is refused while it is live and wins once it lapses", async () => {
    const s = await open();
    const id = await insert(s);
    expect(await s.claims.claim(id, "a", 1000, T0)).toEqual({ ok: true, claimExpiresAt: T0 + 1000 });
    expect(await s.claims.claim(id, "b", 1000, T0 + 10)).toEqual({
      ok: false,
      reason: "held",
      claimedBy: "a",
    });
    expect(await s.claims.claim(id, "a", 1000, T0 + 20)).toEqual({ ok: true, claimExpiresAt: T0 + 1020 });
    expect(await s.claims.claim(id, "b", 500, T0 + 1020)).toEqual({ ok: true, claimExpiresAt: T0 + 1520 });
    expect((await s.messages.get(id))?.claimedBy).toBe("b");
  });

  test("refusals name their reason: not found, not claimable, completed", async () => {
    const s = await open();
    const plain = await insert(s, { claimable: false });
    const id = await insert(s);
    expect(await s.claims.claim(999, "a", 1000, T0)).toEqual({ ok: false, reason: "not_found" });
    expect(await s.claims.claim(plain, "a", 1000, T0)).toEqual({ ok: false, reason: "not_claimable" });
    await s.claims.claim(id, "a", 1000, T0);
    expect(await s.claims.complete(id, "a", T0 + 5)).toEqual({ ok: true });
    expect(await s.claims.complete(id, "a", T0 + 6)).toEqual({ ok: true });
    expect(await s.claims.claim(id, "b", 1000, T0 + 10)).toEqual({
      ok: false,
      reason: "completed",
      claimedBy: "a",
    });
    expect(await s.claims.complete(id, "b", T0 + 10)).toEqual({
      ok: false,
      reason: "completed",
      claimedBy: "a",
    });
    expect((await s.messages.get(id))?.claimCompletedAt).toBe(T0 + 5);
  });

  test("renew extends the holder's claim, a lapsed one too if nobody took it; release gives it back", async () => {
    const s = await open();
    const id = await insert(s);
    expect(await s.claims.renew(id, "a", 1000, T0)).toEqual({
      ok: false,
      reason: "not_holder",
      claimedBy: undefined,
    });
    await s.claims.claim(id, "a", 1000, T0);
    expect(await s.claims.renew(id, "a", 1000, T0 + 5000)).toEqual({ ok: true, claimExpiresAt: T0 + 6000 });
    expect(await s.claims.renew(id, "b", 1000, T0)).toEqual({ ok: false, reason: "held", claimedBy: "a" });
    expect(await s.claims.release(id, "b")).toEqual({ ok: false, reason: "held", claimedBy: "a" });
    expect(await s.claims.release(id, "a")).toEqual({ ok: true });
    expect((await s.messages.get(id))?.claimedBy).toBeUndefined();
    expect(await s.claims.claim(id, "b", 1000, T0)).toMatchObject({ ok: true });
  });

  test("claimMany and completeMany answer each id in order, in one go", async () => {
    const s = await open();
    const [x, y] = [await insert(s), await insert(s)];
    await s.claims.claim(y, "b", 60_000, T0);
    expect(await s.claims.claimMany([x, y, 999], "a", 1000, T0)).toEqual([
      { ok: true, claimExpiresAt: T0 + 1000 },
      { ok: false, reason: "held", claimedBy: "b" },
      { ok: false, reason: "not_found" },
    ]);
    expect(await s.claims.completeMany([x, y], "a", T0 + 1)).toEqual([
      { ok: true },
      { ok: false, reason: "held", claimedBy: "b" },
    ]);
  });

  test("a claimable message raced by three relays' connections is claimed by exactly one agent", async () => {
    const stores = await open.shared(3);
    const ids = await stores[0]!.messages.insertBatch(Array.from({ length: 20 }, () => message()));
    for (const { id } of ids) {
      const outcomes = await Promise.all(
        stores.flatMap((s, i) => [0, 1].map((j) => s.claims.claim(id, `agent-${i}-${j}`, 60_000, T0))),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
      expect(outcomes.filter((o) => !o.ok && o.reason === "held")).toHaveLength(5);
    }
  });

  test("claimMany batches raced from several connections in different orders never share a message", async () => {
    const stores = await open.shared(3);
    const ids = (await stores[0]!.messages.insertBatch(Array.from({ length: 30 }, () => message()))).map(
      (m) => m.id,
    );
    // Each racer asks in its own rotated order (reversed for some), so the batches overlap in every way.
    const orders = Array.from({ length: 9 }, (_, i) => {
      const rotated = ids.map((_, k) => ids[(k + i * 7) % ids.length]!);
      return i % 2 ? rotated.reverse() : rotated;
    });
    const results = await Promise.all(
      orders.map((order, i) => stores[i % 3]!.claims.claimMany(order, `agent-${i}`, 60_000, T0)),
    );
    for (const id of ids) {
      const winners = results.filter((r, i) => r[orders[i]!.indexOf(id)]!.ok);
      expect(winners).toHaveLength(1);
    }
  });

  test("read marks: once per agent, counted by markReadMany, missing ids skipped or refused", async () => {
    const s = await open();
    const [x, y] = [await insert(s, { claimable: false }), await insert(s, { claimable: false })];
    expect(await s.claims.markRead(x, "a", T0)).toBe(true);
    expect(await s.claims.markRead(x, "a", T0 + 1)).toBe(true);
    expect(await s.claims.markRead(999, "a", T0)).toBe(false);
    expect(await s.claims.markReadMany([x, y, 999], "a", T0 + 2)).toBe(1);
    expect(await s.claims.markReadMany([x, y], "b", T0 + 3)).toBe(2);
    expect((await s.messages.get(x))?.readBy).toEqual(["a", "b"]);
  });

  test("a reaction is stored once; one on a missing message is refused", async () => {
    const s = await open();
    const x = await insert(s, { claimable: false });
    expect(await s.claims.react(x, "a", "+1", T0)).toBe(true);
    expect(await s.claims.react(x, "a", "+1", T0 + 1)).toBe(true);
    expect(await s.claims.react(x, "b", "eyes", T0 + 2)).toBe(true);
    expect(await s.claims.react(999, "a", "+1", T0)).toBe(false);
    expect((await s.messages.get(x))?.reactions).toEqual([
      { agentId: "a", reaction: "+1", at: T0 },
      { agentId: "b", reaction: "eyes", at: T0 + 2 },
    ]);
  });
});
