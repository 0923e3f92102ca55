import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(() => t.close());

describe("relay server", () => {
  test("health answers without a token and reports the package version", async () => {
    const res = await fetch(`${t.url}/v1/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, version: pkg.version });
  });

  test("listens on loopback by default", () => {
    expect(t.relay.host).toBe("127.0.0.1");
    expect(t.url).toStartWith("http://127.0.0.1:");
  });

  test("an unknown route is a JSON 404", async () => {
    const r = await t.call(t.rootToken, "GET", "/v1/nothing-here");
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("not_found");
  });

  test("a known route with the wrong method is a JSON 405 naming the allowed methods", async () => {
    const res = await t.rootFetch("/v1/messages/1", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
  });

  test("the Authorization header must be a Bearer token", async () => {
    const res = await fetch(`${t.url}/v1/agents`, { headers: { authorization: `Basic ${t.rootToken}` } });
    expect(res.status).toBe(401);
  });

  test("a plain GET on the bus path without an upgrade is a 400", async () => {
    expect((await fetch(`${t.url}/v1/bus`)).status).toBe(400);
  });
});
