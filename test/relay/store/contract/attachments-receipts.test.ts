// The attachment and receipt contract on every store: blobs stored whole with their uploader and quota use;
// receipts that only move forward, a refusal settled with its read mark and claim in one go.
import { expect, test } from "bun:test";
import type { Store } from "../../../../src/relay/store/types.ts";
import { forEachStore, T0 } from "./for-each-store.ts";

async function insert(s: Store, claimable = false): Promise<number> {
  const [m] = await s.messages.insertBatch([
    {
      from: "alice",
      to: "bob",
      kind: "chat",
      body: "b",
      payload: {},
      claimable,
      attachments: [],
      createdAt: T0,
    },
  ]);
  return m!.id;
}

forEachStore((open) => {
  test("an attachment's bytes, ref, uploader and quota use are kept", async () => {
    const s = await open();
    const bytes = new Uint8Array(70_000).map((_, i) => i % 251);
    const ref = { id: "a1", name: "x.bin", mimeType: "application/octet-stream", size: bytes.length };
    expect(await s.attachments.create(ref, bytes, "alice", T0)).toEqual(ref);
    await s.attachments.create({ ...ref, id: "a2", size: 5 }, new Uint8Array(5), "alice", T0);
    const content = await s.attachments.content("a1");
    expect(content?.name).toBe("x.bin");
    expect(content?.mimeType).toBe("application/octet-stream");
    expect(Buffer.from(content!.data).equals(Buffer.from(bytes))).toBe(true);
    expect(await s.attachments.get("a1")).toEqual(ref);
    expect(await s.attachments.get("zz")).toBeUndefined();
    expect(await s.attachments.uploader("a1")).toBe("alice");
    expect(await s.attachments.uploader("zz")).toBeUndefined();
    expect(await s.attachments.usedBy("alice")).toBe(70_005);
    expect(await s.attachments.usedBy("bob")).toBe(0);
    expect(await s.attachments.resolve(["a2", "zz", "a1"])).toEqual({
      refs: [{ ...ref, id: "a2", size: 5 }, ref],
      missing: ["zz"],
    });
    expect(await s.attachments.content("zz")).toBeUndefined();
  });

  test("a receipt only moves forward; seen's mid-turn flag is kept, and recorded late after answered", async () => {
    const s = await open();
    const id = await insert(s);
    expect(await s.receipts.advance(id, "bob", "delivered", T0)).toEqual({
      agentId: "bob",
      state: "delivered",
      at: T0,
    });
    expect(await s.receipts.advance(id, "bob", "claimed", T0 + 1)).toBeUndefined();
    expect(await s.receipts.advance(id, "bob", "delivered", T0 + 1)).toBeUndefined();
    expect(await s.receipts.advance(id, "bob", "seen", T0 + 2, true)).toEqual({
      agentId: "bob",
      state: "seen",
      at: T0 + 2,
      midTurn: true,
    });
    expect(await s.receipts.advance(id, "bob", "answered", T0 + 3)).toEqual({
      agentId: "bob",
      state: "answered",
      at: T0 + 3,
      midTurn: true,
    });
    await s.receipts.advance(id, "carol", "answered", T0 + 4);
    expect(await s.receipts.advance(id, "carol", "seen", T0 + 5, false)).toBeUndefined();
    expect(await s.receipts.forMessage(id)).toEqual([
      { agentId: "bob", state: "answered", at: T0 + 3, midTurn: true },
      { agentId: "carol", state: "answered", at: T0 + 4, midTurn: false },
    ]);
  });

  test("a receipt advanced from several connections at once ends at the furthest state", async () => {
    const stores = await open.shared(3);
    const id = await insert(stores[0]!);
    const states = ["claimed", "delivered", "seen", "answered", "ambiguous"] as const;
    await Promise.all(
      stores.flatMap((s) => states.map((st, i) => s.receipts.advance(id, "bob", st, T0 + i))),
    );
    expect((await stores[0]!.receipts.forMessage(id)).map((r) => r.state)).toEqual(["answered"]);
  });

  test("a refusal is final, marks the message read and gives the agent's claim back, together", async () => {
    const s = await open();
    const id = await insert(s, true);
    await s.claims.claim(id, "bob", 60_000, T0);
    expect(await s.receipts.refuse(id, "bob", "too big", T0 + 1)).toBe(true);
    expect(await s.receipts.refuse(id, "bob", "again", T0 + 2)).toBe(false);
    expect(await s.receipts.advance(id, "bob", "answered", T0 + 3)).toBeUndefined();
    const m = await s.messages.get(id);
    expect(m?.readBy).toEqual(["bob"]);
    expect(m?.claimedBy).toBeUndefined();
    expect(await s.receipts.forMessage(id)).toEqual([
      { agentId: "bob", state: "refused", reason: "too big", at: T0 + 1 },
    ]);
  });
});
