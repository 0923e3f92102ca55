// The token contract on every store: one shared signing secret, revocations (earliest time kept), single-use
// renewal raced from several connections, an agent's tokens revoked together, and the in-memory mirror.
import { expect, test } from "bun:test";
import { forEachStore, T0 } from "./for-each-store.ts";

const S = T0 / 1000;

forEachStore((open) => {
  test("the signing secret is made once and shared by every store on the database", async () => {
    const [a, b] = await open.shared(2);
    const [x, y] = await Promise.all([a!.tokens.signingSecret(), b!.tokens.signingSecret()]);
    expect(x.length).toBe(32);
    expect(Buffer.from(y).equals(Buffer.from(x))).toBe(true);
    expect(Buffer.from(await a!.tokens.signingSecret()).equals(Buffer.from(x))).toBe(true);
  });

  test("a revocation takes effect at its time, and revoking again keeps the earliest", async () => {
    const s = await open();
    await s.tokens.revoke("j1", T0 + 100, S + 600, T0);
    expect(s.tokens.isRevoked("j1", T0 + 99)).toBe(false);
    expect(s.tokens.isRevoked("j1", T0 + 100)).toBe(true);
    await s.tokens.revoke("j1", T0 + 500, S + 600, T0);
    expect(s.tokens.isRevoked("j1", T0 + 100)).toBe(true);
    await s.tokens.revoke("j1", T0 + 50, S + 600, T0);
    expect(s.tokens.isRevoked("j1", T0 + 50)).toBe(true);
    expect(s.tokens.isRevoked("other", T0)).toBe(false);
  });

  test("a token is superseded once, even by renewals raced from several connections", async () => {
    const stores = await open.shared(3);
    const won = await Promise.all(
      stores.flatMap((s) => [0, 1].map(() => s.tokens.supersede("j1", T0 + 1000, S + 600, T0))),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    const s = stores[0]!;
    await s.tokens.revoke("j2", T0, S + 600, T0);
    expect(await s.tokens.supersede("j2", T0, S + 600, T0)).toBe(false);
  });

  test("revokeAgent revokes every unexpired token recorded for the agent; hasLiveToken follows", async () => {
    const s = await open();
    await s.tokens.recordIssued("a1", "a", S + 600, T0);
    await s.tokens.recordIssued("a2", "a", S + 900, T0);
    await s.tokens.recordIssued("b1", "b", S + 600, T0);
    expect(await s.tokens.issuedExpiry("a2")).toBe(S + 900);
    expect(await s.tokens.issuedExpiry("zz")).toBeUndefined();
    expect(await s.tokens.hasLiveToken("a", T0)).toBe(true);
    expect(await s.tokens.revokeAgent("a", T0 + 10)).toBe(2);
    expect(s.tokens.isRevoked("a1", T0 + 10)).toBe(true);
    expect(s.tokens.isRevoked("b1", T0 + 10)).toBe(false);
    expect(await s.tokens.hasLiveToken("a", T0 + 10)).toBe(false);
    expect(await s.tokens.hasLiveToken("b", T0 + 10)).toBe(true);
  });

  test("expired tokens' rows are pruned on a later write; a store opened later loads live revocations", async () => {
    const [s, later] = await open.shared(2);
    await s!.tokens.recordIssued("short", "a", S + 60, T0);
    await s!.tokens.revoke("short", T0, S + 60, T0);
    await s!.tokens.revoke("long", T0, S + 3600, T0);
    await s!.tokens.recordIssued("next", "b", S + 600, T0 + 120_000);
    expect(await s!.tokens.issuedExpiry("short")).toBeUndefined();
    expect(s!.tokens.isRevoked("short", T0 + 120_000)).toBe(false);
    expect(s!.tokens.isRevoked("long", T0 + 120_000)).toBe(true);
    // `later` was opened before these writes: its mirror is the one thing not shared (see docs/architecture.md).
    expect(later!.tokens.isRevoked("long", T0)).toBe(false);
  });
});
