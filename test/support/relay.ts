// Test helper: an embedded relay on a free loopback port, with root fetch, token minting and raw bus sessions.
//
//   const t = await startTestRelay();          // ":memory:" DB (RELAY_TEST_STORE=postgres: a PostgreSQL one), silent logger
//   const res = await t.rootFetch("/v1/messages", { method: "POST", body: JSON.stringify({ to: "a", body: "hi" }) });
//   const token = await t.mintToken("agent-a");
//   const bus = await t.openBus({ agentId: "agent-a", token });   // resolves after welcome (or error)
//   await bus.waitForFrame((f) => f.type === "message.new");
//   await t.close();                            // closes every bus opened here, then the relay
import { type RelayHandle, type RelayOptions, startRelay } from "../../src/relay/index.ts";
import { testDatabase } from "./test-store.ts";
import { waitFor } from "./wait-for.ts";

export interface BusFrame {
  type: string;
  [key: string]: unknown;
}

export interface TestBus {
  ws: WebSocket;
  /** Every frame received so far, parsed, in order. */
  frames: BusFrame[];
  /** Resolves with the first frame (already received or future) that passes `predicate`. */
  waitForFrame(predicate: (f: BusFrame) => boolean, timeoutMs?: number): Promise<BusFrame>;
  send(frame: unknown): void;
  /** Resolves with the close code once the socket is closed. */
  closed: Promise<number>;
  close(): Promise<void>;
}

export interface JsonAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely and assert on them.
  body: any;
}

export interface TestRelay {
  relay: RelayHandle;
  url: string;
  rootToken: string;
  /** fetch against the relay with the root token and a JSON content type. */
  rootFetch(path: string, init?: RequestInit): Promise<Response>;
  /** fetch with any token (or none when `token` is undefined). */
  fetchAs(token: string | undefined, path: string, init?: RequestInit): Promise<Response>;
  /** A JSON request as `token` (undefined: no Authorization header); answers the status and the parsed body. */
  call(token: string | undefined, method: string, path: string, body?: unknown): Promise<JsonAnswer>;
  /** A runtime token for `agentId`, minted through POST /v1/tokens. */
  mintToken(agentId: string, profileId?: string, ttlSeconds?: number): Promise<string>;
  /** Connect to the bus and send hello (defaults filled in; token defaults to root); waits for the first answer frame. */
  openBus(hello: Partial<HelloFields> & { agentId: string }): Promise<TestBus>;
  close(): Promise<void>;
}

export interface HelloFields {
  token: string;
  /** Default provider. */
  role?: "provider" | "supervisor";
  agentId: string;
  componentId: string;
  instanceId: string;
  machine: string;
  capabilities: string[];
  tags: string[];
  label?: string;
  meta: Record<string, unknown>;
  heartbeatIntervalMs: number;
  status: "idle" | "busy" | "offline" | "error";
}

export async function startTestRelay(opts: RelayOptions = {}): Promise<TestRelay> {
  // RELAY_TEST_STORE=postgres runs every test relay on its own PostgreSQL database (test-store.ts), except one
  // given a SQLite file on purpose (restarts on the same file, rows written by hand).
  const database =
    opts.databaseUrl === undefined && opts.dbPath === undefined ? await testDatabase() : undefined;
  const relay = await startRelay({
    port: 0,
    dbPath: ":memory:",
    ...(database ? { databaseUrl: database.url } : {}),
    ...opts,
  });
  const buses = new Set<TestBus>();
  const fetchAs = (token: string | undefined, path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
    if (init.body !== undefined && !headers.has("content-type"))
      headers.set("content-type", "application/json");
    return fetch(`${relay.url}${path}`, { ...init, headers });
  };
  const t: TestRelay = {
    relay,
    url: relay.url,
    rootToken: relay.rootToken,
    fetchAs,
    rootFetch: (path, init) => fetchAs(relay.rootToken, path, init),
    async call(token, method, path, body) {
      const res = await fetchAs(token, path, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async mintToken(agentId, profileId = "provider-agent", ttlSeconds = 3600) {
      const res = await t.rootFetch("/v1/tokens", {
        method: "POST",
        body: JSON.stringify({ agentId, profileId, ttlSeconds }),
      });
      if (res.status !== 200) throw new Error(`mintToken failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    },
    async openBus(hello) {
      const bus = await openBus(relay.url, {
        token: relay.rootToken,
        componentId: `runner-${hello.agentId}`,
        instanceId: `inst-${hello.agentId}`,
        machine: "test",
        capabilities: [],
        tags: [],
        meta: {},
        heartbeatIntervalMs: 30_000,
        status: "idle",
        ...hello,
      });
      buses.add(bus);
      return bus;
    },
    async close() {
      await Promise.all([...buses].map((b) => b.close()));
      await relay.stop();
      await database?.drop();
    },
  };
  return t;
}

async function openBus(url: string, hello: HelloFields): Promise<TestBus> {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/bus`);
  const frames: BusFrame[] = [];
  let resolveClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((r) => {
    resolveClosed = r;
  });
  ws.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data)) as BusFrame));
  ws.addEventListener("close", (e) => resolveClosed(e.code));
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error("bus connection failed")), { once: true });
  });
  ws.send(JSON.stringify({ type: "hello", role: "provider", ...hello }));
  const bus: TestBus = {
    ws,
    frames,
    closed,
    waitForFrame: (predicate, timeoutMs = 5_000) =>
      waitFor(() => frames.find(predicate), { timeoutMs, intervalMs: 5, what: "a matching bus frame" }),
    send: (frame) => ws.send(JSON.stringify(frame)),
    async close() {
      if (ws.readyState !== WebSocket.CLOSED) ws.close();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2_000))]);
    },
  };
  await bus.waitForFrame((f) => f.type === "welcome" || f.type === "error");
  return bus;
}
