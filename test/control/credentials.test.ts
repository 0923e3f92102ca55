// GET /v1/credentials: the provider's own CLI calls get the runner's current token, which renews while the provider runs.
import { afterEach, describe, expect, test } from "bun:test";
import { type Harness, startServer } from "./support.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.server.stop();
  h = undefined;
});

describe("control server credentials", () => {
  test("answers the current token, so a renewal reaches the provider's CLI without a restart", async () => {
    let token = "first-token";
    h = startServer({ credentials: () => ({ relayUrl: "http://127.0.0.1:9", agentId: "a1", token }) });
    const first = await h.call("/v1/credentials");
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({
      relayUrl: "http://127.0.0.1:9",
      agentId: "a1",
      token: "first-token",
    });
    token = "renewed-token";
    expect(((await (await h.call("/v1/credentials")).json()) as { token: string }).token).toBe(
      "renewed-token",
    );
  });

  test("refuses a caller without the secret and answers 404 when the runner configured none", async () => {
    h = startServer({ credentials: () => ({ relayUrl: "http://127.0.0.1:9", agentId: "a1", token: "t" }) });
    const denied = await fetch(`${h.server.url}/v1/credentials`);
    expect(denied.status).toBe(401);
    expect(JSON.stringify(await denied.json())).not.toContain('"t"');
    await h.server.stop();
    h = startServer();
    expect((await h.call("/v1/credentials")).status).toBe(404);
  });
});
