// The HTTP kit both servers share: body limits, JSON and zod refusals, error answers and the 404/405 fallback.
import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { type JsonLimits, readJson } from "../../src/http/body.ts";
import { errorResponse, HttpError, toErrorResponse } from "../../src/http/errors.ts";
import { queryOf, unmatchedRoute } from "../../src/http/routes.ts";
import { ManualClock } from "../support/manual-clock.ts";

const limits: JsonLimits = {
  maxBytes: 64,
  maxDepth: 4,
  codes: { malformed: "bad_json", invalid: "bad_shape" },
};
const Body = z.object({ to: z.string(), n: z.number().optional() });
const post = (body: NonNullable<RequestInit["body"]>) =>
  new Request("http://x/v1/y", { method: "POST", body });

async function refusal(p: Promise<unknown>): Promise<HttpError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("readJson", () => {
  test("a valid body comes back typed", async () => {
    expect(await readJson(post('{"to":"a","n":1}'), Body, limits)).toEqual({ to: "a", n: 1 });
  });

  test("each kind of bad body is refused with its own status, the server's code and a message naming where", async () => {
    const cases: [NonNullable<RequestInit["body"]>, number, string, string][] = [
      ["", 400, "bad_json", "empty"],
      [new Uint8Array([0x7b, 0xff]), 400, "bad_json", "UTF-8"],
      ["{nope", 400, "bad_json", "not valid JSON"],
      ['{"to":1}', 400, "bad_shape", "body.to:"],
      ['{"to":"a","n":[[[[[1]]]]]}', 400, "bad_shape", "body.n.0.0.0"],
      [JSON.stringify({ to: "x".repeat(100) }), 413, "payload_too_large", "exceeds 64 bytes"],
    ];
    for (const [body, status, code, text] of cases) {
      const e = await refusal(readJson(post(body), Body, limits));
      expect([e.status, e.code]).toEqual([status, code]);
      expect(e.message).toContain(text);
    }
  });

  test("a streamed body over the cap is refused as it passes it, and the answer closes the connection", async () => {
    const chunks = new ReadableStream({
      pull(c) {
        c.enqueue(new TextEncoder().encode("x".repeat(40)));
      },
    });
    const e = await refusal(readJson(post(chunks), Body, limits));
    expect(e.status).toBe(413);
    expect(e.headers.connection).toBe("close");
    expect(e.details).toEqual({ limitBytes: 64 });
  });

  test("a body that stalls past the deadline is a 408", async () => {
    const clock = new ManualClock();
    const stalled = new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"to":')) });
    const pending = refusal(readJson(post(stalled), Body, { ...limits, deadline: { ms: 1000, clock } }));
    // The timer is set before readJson's first await, so moving the clock now fires it.
    await clock.advance(1000);
    const e = await pending;
    expect([e.status, e.code]).toEqual([408, "request_timeout"]);
  });
});

describe("error answers", () => {
  test("an HttpError becomes {…extra, error: {code, message, details}} with its headers", async () => {
    const e = new HttpError(409, "claim_conflict", "held", {
      details: { a: 1 },
      extra: { ok: false },
      headers: { "retry-after": "2" },
    });
    const res = errorResponse(e, { "cache-control": "no-store" });
    expect(res.status).toBe(409);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({
      ok: false,
      error: { code: "claim_conflict", message: "held", details: { a: 1 } },
    });
  });

  test("anything else is reported to the caller's sink and answered with a bare 500", async () => {
    const seen: unknown[] = [];
    const res = toErrorResponse(new Error("secret internals"), (e) => seen.push(e));
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("secret");
    expect(seen).toHaveLength(1);
  });
});

describe("routes", () => {
  const unmatched = unmatchedRoute({ "/v1/things/:id": { GET: 1, DELETE: 2 } });

  test("a known path with another method is 405 naming the allowed ones; an unknown path is 404", () => {
    const wrong = unmatched(new Request("http://x/v1/things/7", { method: "POST" }));
    expect([wrong.status, wrong.code, wrong.headers.allow]).toEqual([
      405,
      "method_not_allowed",
      "GET, DELETE",
    ]);
    const missing = unmatched(new Request("http://x/v1/things/7/more"));
    expect([missing.status, missing.code]).toEqual([404, "not_found"]);
  });

  test("query parameters come back as a plain object", () => {
    expect(queryOf(new Request("http://x/a?b=1&c=two"))).toEqual({ b: "1", c: "two" });
    expect(queryOf(new Request("http://x/a"))).toEqual({});
  });
});
