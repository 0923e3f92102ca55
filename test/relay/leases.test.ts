// Leases on the real relay (loopback HTTP and bus, manual clock): who may take, renew and release them, and when
// they expire.
import { afterEach, describe, expect, test } from "bun:test";
import { OPERATOR_PROFILE } from "../../src/protocol/index.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

const TTL = 9_000;
const KEY = "/home/u/.agent-relay/worktrees/app-0123456789/alice";
let t: TestRelay | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function relay(maxLeasesPerAgent = 8): Promise<{ t: TestRelay; clock: ManualClock }> {
  const clock = new ManualClock(Date.now());
  // The offline sweep is moved out of the way: it is not what these tests are about.
  t = await startTestRelay({
    clock,
    quotas: { leaseTtlMs: TTL, maxLeasesPerAgent },
    offlineSweepMs: 3600_000,
  });
  return { t, clock };
}

const acquire = (r: TestRelay, token: string, agentId: string, instanceId: string, key = KEY) =>
  r.call(token, "POST", "/v1/leases", { key, agentId, instanceId, meta: { branch: `agents/${agentId}` } });

describe("leases", () => {
  test("a key held by one agent is refused to another with a conflict naming the holder", async () => {
    const { t, clock } = await relay();
    const alice = await t.mintToken("alice");
    const bob = await t.mintToken("bob");
    const first = await acquire(t, alice, "alice", "i1");
    expect(first.status).toBe(200);
    expect(first.body.lease).toMatchObject({
      key: KEY,
      agentId: "alice",
      instanceId: "i1",
      meta: { branch: "agents/alice" },
      expiresAt: clock.now() + TTL,
    });
    const second = await acquire(t, bob, "bob", "i9");
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("conflict");
    expect(second.body.error.message).toContain("held by agent 'alice' (runner instance i1)");
    expect(second.body.error.details).toEqual({
      holder: { agentId: "alice", instanceId: "i1", expiresAt: clock.now() + TTL },
    });
    // The holder asking again renews the same lease.
    await clock.advance(1_000);
    const again = await acquire(t, alice, "alice", "i1");
    expect(again.body.lease.id).toBe(first.body.lease.id);
    expect(again.body.lease.expiresAt).toBe(clock.now() + TTL);
  });

  test("only the agent's own token acquires, renews and releases; root and operators list and release", async () => {
    const { t } = await relay();
    const alice = await t.mintToken("alice");
    const bob = await t.mintToken("bob");
    const op = await t.mintToken("carol", OPERATOR_PROFILE);
    expect((await acquire(t, bob, "alice", "i1")).status).toBe(403);
    expect((await acquire(t, t.rootToken, "alice", "i1")).status).toBe(403);
    const lease = (await acquire(t, alice, "alice", "i1")).body.lease;
    await acquire(t, bob, "bob", "b1", "/elsewhere");

    const renewByBob = await t.call(bob, "POST", `/v1/leases/${lease.id}/renew`, { instanceId: "i1" });
    expect(renewByBob.status).toBe(403);
    expect((await t.call(bob, "DELETE", `/v1/leases/${lease.id}`)).status).toBe(403);
    expect(
      (await t.call(alice, "POST", `/v1/leases/${lease.id}/renew`, { instanceId: "other" })).status,
    ).toBe(409);
    expect((await t.call(alice, "POST", `/v1/leases/${lease.id}/renew`, { instanceId: "i1" })).status).toBe(
      200,
    );

    const keys = async (token: string) =>
      (await t.call(token, "GET", "/v1/leases")).body.leases.map((l: { key: string }) => l.key).sort();
    expect(await keys(alice)).toEqual([KEY]);
    expect(await keys(bob)).toEqual(["/elsewhere"]);
    expect(await keys(t.rootToken)).toEqual(["/elsewhere", KEY]);
    expect(await keys(op)).toEqual(["/elsewhere", KEY]);

    // A release naming an instance that no longer holds the lease changes nothing (a late stop of an old runner).
    expect((await t.call(alice, "DELETE", `/v1/leases/${lease.id}?instanceId=old`)).status).toBe(409);
    expect((await t.call(op, "DELETE", `/v1/leases/${lease.id}`)).status).toBe(200);
    expect((await t.call(alice, "DELETE", `/v1/leases/${lease.id}`)).status).toBe(404);
    expect((await acquire(t, bob, "bob", "b1")).status).toBe(200);
  });

  test("a lease nobody renews expires after its TTL and the key is free", async () => {
    const { t, clock } = await relay();
    const alice = await t.mintToken("alice");
    const bob = await t.mintToken("bob");
    await acquire(t, alice, "alice", "i1");
    await clock.advance(TTL - 1);
    expect((await acquire(t, bob, "bob", "b1")).status).toBe(409);
    await clock.advance(1);
    expect((await t.call(t.rootToken, "GET", "/v1/leases")).body.leases).toEqual([]);
    expect((await acquire(t, bob, "bob", "b1")).status).toBe(200);
  });

  test("the relay renews a lease while its holder's bus session is open, and stops when it closes", async () => {
    const { t, clock } = await relay();
    const alice = await t.mintToken("alice");
    const bob = await t.mintToken("bob");
    const bus = await t.openBus({ agentId: "alice", instanceId: "i1", token: alice });
    await acquire(t, alice, "alice", "i1");
    await clock.advance(3 * TTL);
    expect((await acquire(t, bob, "bob", "b1")).status).toBe(409);
    await bus.close();
    await clock.advance(TTL);
    expect((await acquire(t, bob, "bob", "b1")).status).toBe(200);
  });

  test("a new instance of the same agent takes over from one whose session closed, not from one starting up", async () => {
    const { t } = await relay();
    const alice = await t.mintToken("alice");
    // i0 never said hello: it may be a runner still starting, so its lease holds until it expires.
    await acquire(t, alice, "alice", "i0", "/starting");
    expect((await acquire(t, alice, "alice", "i1", "/starting")).status).toBe(409);

    const bus = await t.openBus({ agentId: "alice", instanceId: "i1", token: alice });
    await acquire(t, alice, "alice", "i1");
    // i1 is connected: a duplicate runner of alice is refused.
    expect((await acquire(t, alice, "alice", "i2")).status).toBe(409);
    await bus.close();
    await bus.closed;
    // i1's runner died (its session closed): its successor takes the lease at once.
    const taken = await acquire(t, alice, "alice", "i2");
    expect(taken.status).toBe(200);
    expect(taken.body.lease.instanceId).toBe("i2");
  });

  test("an agent holds at most maxLeasesPerAgent leases", async () => {
    const { t } = await relay(2);
    const alice = await t.mintToken("alice");
    expect((await acquire(t, alice, "alice", "i1", "/a")).status).toBe(200);
    expect((await acquire(t, alice, "alice", "i1", "/b")).status).toBe(200);
    const third = await acquire(t, alice, "alice", "i1", "/c");
    expect(third.status).toBe(409);
    expect(third.body.error.message).toContain("holds 2 leases");
    // Renewing one it holds is not a new lease.
    expect((await acquire(t, alice, "alice", "i1", "/a")).status).toBe(200);
  });
});
