// The supervisor hands each runner a runtime token minted for that runner's agent, and never the operator's token.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt } from "jose/jwt/decode";
import pino from "pino";
import { writeRelayInfoFile } from "../../src/relay/local-info.ts";
import { RelayAccess } from "../../src/supervisor/relay-access.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.close();
});
const logger = pino({ level: "silent" });

describe("RelayAccess.forAgent", () => {
  test("with the root token: a runtime token bound to the agent, in the runner's environment", async () => {
    const access = await RelayAccess.open(relay.url, relay.rootToken, logger);
    const a = await access.forAgent("worker-1");
    expect(a.token).not.toBe(relay.rootToken);
    expect(decodeJwt(a.token)).toMatchObject({ agentId: "worker-1", profileId: "provider-agent" });
    expect(a.env.AGENT_RELAY_TOKEN).toBe(a.token);
    expect(JSON.stringify(a.env)).not.toContain(relay.rootToken);
    // The supervisor keeps the root token for its own bus session as the relay's supervisor.
    expect(access.rootToken).toBe(relay.rootToken);
  });

  test("when no token can be minted, the runner gets nothing rather than the operator's token", async () => {
    // A token bound to another agent cannot mint; the resolution would fall back to passing it on as is.
    const other = await relay.mintToken("someone-else");
    const access = await RelayAccess.open(relay.url, other, logger);
    // Not a root token: no supervisor session on the relay (supervisor.* only through the control socket).
    expect(access.rootToken).toBeUndefined();
    await expect(access.forAgent("worker-1")).rejects.toThrow(
      "could not mint a runtime token for agent 'worker-1'",
    );
    // The relay gone: resolving it fails at its deadline (the supervisor waits and tries again); the root token
    // is handed out nowhere, and the error does not carry it.
    const failure = await RelayAccess.open("http://127.0.0.1:9", relay.rootToken, logger, 1_000).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(failure?.message).toContain("failed until the start deadline");
    expect(failure?.message).not.toContain(relay.rootToken);
  });
});

describe("RelayAccess.rootToken", () => {
  test("without AGENT_RELAY_TOKEN, the local relay's root token from relay.json (for the supervisor's bus session)", async () => {
    const home = mkdtempSync(join(tmpdir(), "relay-access-"));
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      writeRelayInfoFile(join(home, ".agent-relay", "relay.json"), {
        url: relay.url,
        rootToken: relay.rootToken,
      });
      const access = await RelayAccess.open(undefined, undefined, logger);
      expect(access.url).toBe(relay.url);
      expect(access.rootToken).toBe(relay.rootToken);
    } finally {
      process.env.HOME = saved;
      rmSync(home, { recursive: true, force: true });
    }
  });
});
