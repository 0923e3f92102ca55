// RelayHttpClient over several relays (real sockets): which failures move it to the next relay, and which are resent.
import { afterEach, describe, expect, test } from "bun:test";
import { isHttpError, RelayUnavailableError } from "../../src/relay-client/errors.ts";
import { RelayHttpClient } from "../../src/relay-client/http-client.ts";
import { RelayRoute } from "../../src/relay-client/relay-route.ts";
import { isConnectionRefused } from "../../src/relay-client/transport-failover.ts";
import { deadUrl } from "../support/dead-url.ts";

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A relay stand-in on a real socket: answers every request with `answer` (default: no agents) and records it. */
function stub(answer: (req: Request) => Response | Promise<Response> = () => Response.json({ agents: [] })) {
  const seen: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      seen.push(`${req.method} ${new URL(req.url).pathname}`);
      return answer(req);
    },
  });
  cleanup.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}`, seen };
}

function http(relayUrl: string[], timeoutMs?: number): RelayHttpClient {
  const c = new RelayHttpClient({ relayUrl, token: "tok", ...(timeoutMs ? { timeoutMs } : {}) });
  cleanup.push(() => c.close());
  return c;
}

describe("RelayHttpClient with several relays", () => {
  test("a refused connection (the request never reached a relay) is sent to the next relay at once, any method", async () => {
    const b = stub((req) =>
      req.method === "POST" ? Response.json({ ok: true }) : Response.json({ agents: [] }),
    );
    const c = http([deadUrl(), b.url]);
    expect(await c.listAgents()).toEqual([]);
    expect(c.relayUrl).toBe(b.url);
    await c.markRead(7, "bob");
    expect(b.seen).toEqual(["GET /v1/agents", "POST /v1/messages/7/read"]);
  });

  test("an HTTP error answer is an answer: the client stays on that relay", async () => {
    const a = stub(() => Response.json({ error: "forbidden", message: "no" }, { status: 403 }));
    const b = stub();
    const c = http([a.url, b.url]);
    const e = await c.listAgents().catch((x) => x);
    expect(isHttpError(e, 403)).toBe(true);
    expect(c.relayUrl).toBe(a.url);
    expect(b.seen).toEqual([]);
  });

  test("a timeout moves the route but is not resent (the relay may have acted on it); the next call goes to the next relay", async () => {
    const a = stub(() => new Promise<Response>(() => {}));
    const b = stub();
    const c = http([a.url, b.url], 200);
    const e = await c.listAgents().catch((x) => x);
    expect(e).toBeInstanceOf(RelayUnavailableError);
    expect((e as RelayUnavailableError).reason).toBe("timeout");
    expect(b.seen).toEqual([]);
    expect(c.relayUrl).toBe(b.url);
    expect(await c.listAgents()).toEqual([]);
    expect(b.seen).toEqual(["GET /v1/agents"]);
  });

  test("when every relay refuses, each is tried once and the error says the relay is unavailable", async () => {
    const [x, y] = [deadUrl(), deadUrl()];
    const route = new RelayRoute([x, y]);
    const c = new RelayHttpClient({ relayUrl: route.urls, route });
    cleanup.push(() => c.close());
    const e = await c.listAgents().catch((err) => err);
    expect(e).toBeInstanceOf(RelayUnavailableError);
    expect(isConnectionRefused(e)).toBe(true);
    expect(route.switches).toBe(2);
    expect(route.current).toBe(x);
  });

  test("the caller's abort is not a relay failure", async () => {
    const a = stub(() => new Promise<Response>(() => {}));
    const b = stub();
    const c = http([a.url, b.url]);
    const ac = new AbortController();
    const pending = c.listAgents({ signal: ac.signal }).catch((x) => x);
    ac.abort();
    expect((await pending).code).toBe("ABORTED");
    expect(c.relayUrl).toBe(a.url);
  });

  test("a closed client fails without moving the route", async () => {
    const a = stub();
    const b = stub();
    const c = http([a.url, b.url]);
    await c.close();
    await expect(c.listAgents()).rejects.toBeInstanceOf(RelayUnavailableError);
    expect(c.relayUrl).toBe(a.url);
    expect(a.seen).toEqual([]);
  });

  test("one URL given as a string behaves as before: no route to move, the trailing slash trimmed", async () => {
    const a = stub();
    const c = new RelayHttpClient({ relayUrl: `${a.url}/`, token: "tok" });
    cleanup.push(() => c.close());
    expect(await c.listAgents()).toEqual([]);
    expect(c.relayUrl).toBe(a.url);
    expect(() => new RelayHttpClient({ relayUrl: [a.url, "ws://127.0.0.1:1"] })).toThrow(TypeError);
  });
});
