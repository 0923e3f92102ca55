// Token rows: revocations and issue records of expired tokens are pruned on the next write.
import { afterEach, describe, expect, test } from "bun:test";
import { openStore, type SqliteStore } from "../../../src/relay/store/index.ts";

let store: SqliteStore | undefined;
afterEach(() => store?.close());

const T0 = 1_700_000_000_000;
const count = (s: SqliteStore, table: string) =>
  (s.db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("TokenStore pruning", () => {
  test("revocations and issue records of expired tokens go on the next write; live ones stay", async () => {
    const s = openStore(":memory:");
    store = s;
    const t0s = T0 / 1000;
    await s.tokens.recordIssued("short", "a", t0s + 60, T0);
    await s.tokens.recordIssued("long", "a", t0s + 3600, T0);
    await s.tokens.revoke("short", T0, t0s + 60, T0);
    await s.tokens.revoke("long", T0, t0s + 3600, T0);
    expect(count(s, "revoked_tokens")).toBe(2);
    expect(s.tokens.revokedCount()).toBe(2);

    // Two minutes later the short token has expired: the next write drops its rows, in memory too.
    const later = T0 + 120_000;
    await s.tokens.recordIssued("next", "b", later / 1000 + 60, later);
    expect(count(s, "revoked_tokens")).toBe(1);
    expect(s.tokens.revokedCount()).toBe(1);
    expect(s.tokens.isRevoked("long", later)).toBe(true);
    expect(s.db.query("SELECT jti FROM issued_tokens ORDER BY jti").all()).toEqual([
      { jti: "long" },
      { jti: "next" },
    ]);
  });

  test("revokeAgent revokes every unexpired token recorded for the agent, and only those", async () => {
    const s = openStore(":memory:");
    store = s;
    const t0s = T0 / 1000;
    await s.tokens.recordIssued("a1", "a", t0s + 600, T0);
    await s.tokens.recordIssued("a2", "a", t0s + 600, T0);
    await s.tokens.recordIssued("b1", "b", t0s + 600, T0);
    expect(await s.tokens.revokeAgent("a", T0)).toBe(2);
    expect(s.tokens.isRevoked("a1", T0)).toBe(true);
    expect(s.tokens.isRevoked("a2", T0)).toBe(true);
    expect(s.tokens.isRevoked("b1", T0)).toBe(false);
  });
});
