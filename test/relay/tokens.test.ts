import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decodeJwt } from "jose";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let t: TestRelay;
const clock = new ManualClock();

beforeAll(async () => {
  t = await startTestRelay({ clock, tokenGraceMs: 30_000 });
});
afterAll(() => t.close());

const whoami = (token: string, agent: string) => t.call(token, "GET", `/v1/agents/${agent}/unread`);

describe("POST /v1/tokens", () => {
  test("root mints a token bound to an agent, with jti, profile and expiry in epoch seconds", async () => {
    const r = await t.call(t.rootToken, "POST", "/v1/tokens", {
      agentId: "tok-a",
      profileId: "provider-agent",
      ttlSeconds: 600,
    });
    expect(r.status).toBe(200);
    expect(r.body.record).toMatchObject({ agentId: "tok-a", profileId: "provider-agent" });
    expect(r.body.record.expiresAt).toBe(Math.floor(clock.now() / 1000) + 600);
    const claims = decodeJwt(r.body.token);
    expect(claims.jti).toBe(r.body.record.jti);
    expect(claims.agentId).toBe("tok-a");
    expect((await whoami(r.body.token, "tok-a")).status).toBe(200);
  });

  test("a runtime token cannot mint tokens (403), and a bad request is 400", async () => {
    const token = await t.mintToken("tok-b");
    const body = { agentId: "tok-b", profileId: "provider-agent", ttlSeconds: 60 };
    expect((await t.call(token, "POST", "/v1/tokens", body)).status).toBe(403);
    expect((await t.call(t.rootToken, "POST", "/v1/tokens", { ...body, ttlSeconds: 0 })).status).toBe(400);
  });

  test("an expired token is 401 token_expired", async () => {
    const token = await t.mintToken("tok-exp", "provider-agent", 10);
    await clock.advance(10_000);
    const r = await whoami(token, "tok-exp");
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("token_expired");
  });

  test("a token signed with another key is 401 unauthorized", async () => {
    const other = await startTestRelay();
    try {
      const foreign = await other.mintToken("tok-a");
      const r = await whoami(foreign, "tok-a");
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("unauthorized");
    } finally {
      await other.close();
    }
  });
});

describe("POST /v1/tokens/renew", () => {
  test("renewal gives a new jti with the same agent, profile and lifetime; the old token dies after the grace", async () => {
    const old = await t.mintToken("renew-a", "provider-interactive", 3600);
    const r = await t.call(old, "POST", "/v1/tokens/renew");
    expect(r.status).toBe(200);
    const oldClaims = decodeJwt(old);
    const newClaims = decodeJwt(r.body.token);
    expect(newClaims.jti).not.toBe(oldClaims.jti);
    expect(r.body.record).toMatchObject({ agentId: "renew-a", profileId: "provider-interactive" });
    expect(newClaims.exp! - newClaims.iat!).toBe(3600);
    // Inside the grace both work, but the superseded token cannot renew again (renewal is single-use).
    await clock.advance(29_000);
    expect((await whoami(old, "renew-a")).status).toBe(200);
    expect((await t.call(old, "POST", "/v1/tokens/renew")).status).toBe(401);
    await clock.advance(1_000);
    const dead = await whoami(old, "renew-a");
    expect(dead.status).toBe(401);
    expect(dead.body.error.code).toBe("unauthorized");
    expect((await whoami(r.body.token, "renew-a")).status).toBe(200);
  });

  test("the root token cannot renew (400) and a non-renewable profile is refused (403)", async () => {
    const r = await t.call(t.rootToken, "POST", "/v1/tokens/renew");
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_request");
    const ci = await t.mintToken("ci-bot", "ci", 600);
    expect((await t.call(ci, "POST", "/v1/tokens/renew")).status).toBe(403);
  });

  test("renewal without a token is 401", async () => {
    expect((await t.call(undefined, "POST", "/v1/tokens/renew")).status).toBe(401);
  });
});

describe("POST /v1/tokens/revoke ends the bus sessions the token opened", () => {
  const revoke = (token: string, body: object) => t.call(token, "POST", "/v1/tokens/revoke", body);
  const jtiOf = (token: string) => decodeJwt(token).jti as string;

  test("revoking an agent's tokens closes its token sessions with 4401, not a root-token session", async () => {
    const token = await t.mintToken("rv-a");
    const own = await t.openBus({ agentId: "rv-a", token, instanceId: "rv-a-1" });
    const viaRoot = await t.openBus({ agentId: "rv-a", instanceId: "rv-a-1" });
    expect((await revoke(t.rootToken, { agentId: "rv-a" })).status).toBe(200);
    expect(await own.closed).toBe(4401);
    expect(viaRoot.ws.readyState).toBe(WebSocket.OPEN);
    // The revoked token cannot say hello again.
    const again = await t.openBus({ agentId: "rv-a", token, instanceId: "rv-a-2" });
    expect(again.frames[0]).toMatchObject({ type: "error", code: "unauthorized" });
    await viaRoot.close();
  });

  test("revoking one jti (root) or itself (the token) closes only the sessions that token opened", async () => {
    const first = await t.mintToken("rv-b");
    const second = await t.mintToken("rv-b");
    const a = await t.openBus({ agentId: "rv-b", token: first, instanceId: "rv-b-1" });
    const b = await t.openBus({ agentId: "rv-b", token: second, instanceId: "rv-b-1" });
    expect((await revoke(t.rootToken, { jti: jtiOf(first) })).status).toBe(200);
    expect(await a.closed).toBe(4401);
    expect(b.ws.readyState).toBe(WebSocket.OPEN);
    expect((await revoke(second, {})).status).toBe(200);
    expect(await b.closed).toBe(4401);
  });
});
