// Credentials: what a token says about itself, what status meta may show, and who hears about a renewal.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Credentials, NOT_RUNTIME } from "../../src/runner/credentials.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.close();
});

describe("Credentials", () => {
  test("a runtime token fills in its jti, profile and expiry; the summary and env never confuse token and facts", async () => {
    const token = await relay.mintToken("cred-a", "provider-agent", 600);
    const c = Credentials.from(token, {}, "cred-a");
    const now = Math.floor(Date.now() / 1000);
    expect(c.record).toMatchObject({ agentId: "cred-a", profileId: "provider-agent" });
    expect(c.record!.expiresAt).toBeGreaterThanOrEqual(now + 590);
    expect(c.record!.expiresAt).toBeLessThanOrEqual(now + 601);
    const summary = c.summary();
    expect(summary).toEqual({
      profile: "provider-agent",
      jti: c.record!.jti,
      expiresAt: c.record!.expiresAt,
    });
    expect(JSON.stringify(summary)).not.toContain(token);
    expect(c.env()).toEqual({
      AGENT_RELAY_TOKEN: token,
      AGENT_RELAY_TOKEN_JTI: c.record!.jti,
      AGENT_RELAY_TOKEN_PROFILE: "provider-agent",
      AGENT_RELAY_TOKEN_EXPIRES_AT: String(c.record!.expiresAt),
    });
  });

  test("a root token has no record to renew, shows as static and is never put into a provider's env", () => {
    const c = Credentials.from(relay.rootToken, {}, "cred-b");
    expect(c.record).toBeUndefined();
    expect(c.isRuntime).toBe(false);
    expect(c.summary()).toEqual({ kind: "static" });
    expect(() => c.env()).toThrow(NOT_RUNTIME);
  });

  test("replace swaps token and record and tells every listener the new token", async () => {
    const first = await relay.mintToken("cred-c");
    const c = Credentials.from(first, {}, "cred-c");
    const heard: string[] = [];
    const off = c.onChange((t) => heard.push(t));
    const renewed = await relay.call(first, "POST", "/v1/tokens/renew", {});
    c.replace(renewed.body);
    off();
    c.replace(renewed.body);
    expect(c.token).toBe(renewed.body.token);
    expect(c.record).toEqual(renewed.body.record);
    expect(heard, "one listener call before unsubscribing").toEqual([renewed.body.token]);
  });
});
