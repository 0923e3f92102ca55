// The lease and retention contract on every store: one live holder per key (raced from several connections), the
// per-agent limit, renewals by the holder; retention's cutoffs, with the rows that point at a message going too.
import { expect, test } from "bun:test";
import type { AcquirePolicy, LeaseClaim, NewMessage } from "../../../../src/relay/store/types.ts";
import { forEachStore, T0 } from "./for-each-store.ts";

const claim = (key: string, agentId = "a", instanceId = "i1"): LeaseClaim => ({
  key,
  agentId,
  instanceId,
  meta: { k: key },
});
const policy = (over: Partial<AcquirePolicy> = {}): AcquirePolicy => ({
  now: T0,
  ttlMs: 1000,
  maxPerAgent: 10,
  mayTakeOver: () => false,
  ...over,
});

forEachStore((open) => {
  test("a free key is taken, the same instance renews, another holder is refused until it expires", async () => {
    const s = await open();
    const first = await s.leases.acquire(claim("k"), policy());
    expect(first).toMatchObject({
      ok: true,
      renewed: false,
      lease: { key: "k", agentId: "a", expiresAt: T0 + 1000 },
    });
    const again = await s.leases.acquire(claim("k"), policy({ now: T0 + 10 }));
    expect(again).toMatchObject({ ok: true, renewed: true, lease: { expiresAt: T0 + 1010 } });
    if (!first.ok || !again.ok) throw new Error("unreachable");
    expect(again.lease.id).toBe(first.lease.id);
    expect(await s.leases.acquire(claim("k", "b"), policy({ now: T0 + 20 }))).toMatchObject({
      ok: false,
      reason: "held",
      holder: { agentId: "a" },
    });
    expect(
      await s.leases.acquire(claim("k", "a", "i2"), policy({ now: T0 + 20, mayTakeOver: () => true })),
    ).toMatchObject({
      ok: true,
      renewed: false,
      lease: { instanceId: "i2" },
    });
    expect(await s.leases.acquire(claim("k", "b"), policy({ now: T0 + 5000 }))).toMatchObject({ ok: true });
  });

  test("an agent holds at most maxPerAgent live leases", async () => {
    const s = await open();
    await s.leases.acquire(claim("k1"), policy({ maxPerAgent: 2 }));
    await s.leases.acquire(claim("k2"), policy({ maxPerAgent: 2 }));
    expect(await s.leases.acquire(claim("k3"), policy({ maxPerAgent: 2 }))).toEqual({
      ok: false,
      reason: "limit",
      held: 2,
    });
    expect(await s.leases.acquire(claim("k3"), policy({ maxPerAgent: 2, now: T0 + 1000 }))).toMatchObject({
      ok: true,
    });
  });

  test("a key raced by agents on several connections has one winner", async () => {
    const stores = await open.shared(3);
    for (const key of ["k1", "k2", "k3", "k4", "k5"]) {
      const results = await Promise.all(
        stores.flatMap((s, i) =>
          [0, 1].map((j) => s.leases.acquire(claim(key, `agent-${i}-${j}`), policy())),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    }
  });

  test("renew, live, list, release, renewHolders and deleteExpired", async () => {
    const s = await open();
    const taken = await s.leases.acquire(claim("k1"), policy());
    await s.leases.acquire(claim("k2", "b", "j1"), policy({ now: T0 + 1 }));
    if (!taken.ok) throw new Error("unreachable");
    const id = taken.lease.id;
    expect(await s.leases.renew(id, { agentId: "b", instanceId: "j1" }, T0 + 5, 1000)).toEqual({
      ok: false,
      reason: "other_holder",
    });
    expect(await s.leases.renew(id, { agentId: "a", instanceId: "i1" }, T0 + 5, 1000)).toMatchObject({
      ok: true,
      lease: { expiresAt: T0 + 1005, renewedAt: T0 + 5 },
    });
    expect(await s.leases.renew(id, { agentId: "a", instanceId: "i1" }, T0 + 9999, 1000)).toEqual({
      ok: false,
      reason: "gone",
    });
    expect((await s.leases.live(id, T0 + 1004))?.meta).toEqual({ k: "k1" });
    expect(await s.leases.live(id, T0 + 1005)).toBeUndefined();
    expect((await s.leases.list(T0 + 10, 10)).map((l) => l.key)).toEqual(["k1", "k2"]);
    expect((await s.leases.list(T0 + 10, 10, "b")).map((l) => l.key)).toEqual(["k2"]);
    // Only a holder that is its agent's registered, heartbeating instance is renewed.
    await s.agents.register(
      {
        id: "a",
        instanceId: "i1",
        componentId: "r",
        machine: "m",
        status: "idle",
        capabilities: [],
        tags: [],
        meta: {},
        heartbeatIntervalMs: 1000,
      },
      T0,
    );
    const holders = [
      { agentId: "a", instanceId: "i1" },
      { agentId: "b", instanceId: "j1" },
    ];
    expect(await s.leases.renewHolders(holders, T0 + 100, 5000)).toBe(1);
    expect((await s.leases.live(id, T0 + 100))?.expiresAt).toBe(T0 + 5100);
    expect(await s.leases.renewHolders([], T0 + 100, 5000)).toBe(0);
    expect(await s.leases.deleteExpired(T0 + 2000)).toBe(1);
    expect(await s.leases.release(id)).toBe(true);
    expect(await s.leases.release(id)).toBe(false);
  });

  test("retention deletes old messages with every row pointing at them, then orphaned attachments", async () => {
    const s = await open();
    const ref = { id: "att", name: "a", mimeType: "text/plain", size: 1 };
    await s.attachments.create(ref, new Uint8Array([1]), "alice", T0);
    await s.attachments.create({ ...ref, id: "young" }, new Uint8Array([1]), "alice", T0 + 5000);
    const m = (over: Partial<NewMessage>): NewMessage => ({
      from: "alice",
      to: "bob",
      kind: "chat",
      body: "b",
      payload: {},
      claimable: false,
      attachments: [],
      createdAt: T0,
      ...over,
    });
    const [read, unread, done, fresh] = await s.messages.insertBatch([
      m({ attachments: [ref] }),
      m({}),
      m({ claimable: true }),
      m({ createdAt: T0 + 5000 }),
    ]);
    await s.claims.markRead(read!.id, "bob", T0);
    await s.claims.react(read!.id, "bob", "+1", T0);
    await s.receipts.advance(read!.id, "bob", "seen", T0);
    await s.claims.claim(done!.id, "bob", 1000, T0);
    await s.claims.complete(done!.id, "bob", T0);
    expect(
      await s.retention.sweep({ readBefore: T0 + 1, allBefore: undefined, orphanBefore: T0 + 1 }),
    ).toEqual({
      messages: 2,
      attachments: 1,
    });
    expect(await s.messages.exists(read!.id)).toBe(false);
    expect(await s.messages.exists(unread!.id)).toBe(true);
    expect(await s.receipts.forMessage(read!.id)).toEqual([]);
    expect(await s.attachments.get("att")).toBeUndefined();
    expect(
      await s.retention.sweep({ readBefore: undefined, allBefore: T0 + 1, orphanBefore: T0 + 1 }),
    ).toEqual({
      messages: 1,
      attachments: 0,
    });
    expect((await s.messages.recent(10)).map((x) => x.id)).toEqual([fresh!.id]);
    expect(await s.attachments.get("young")).toBeDefined();
  });

  test("retention drains more than one batch", async () => {
    const s = await open();
    const batch = Array.from(
      { length: 1200 },
      (): NewMessage => ({
        from: "a",
        to: "b",
        kind: "chat",
        body: "x",
        payload: {},
        claimable: false,
        attachments: [],
        createdAt: T0,
      }),
    );
    await s.messages.insertBatch(batch);
    expect(await s.retention.sweep({ readBefore: undefined, allBefore: T0 + 1, orphanBefore: 0 })).toEqual({
      messages: 1200,
      attachments: 0,
    });
  });
});
