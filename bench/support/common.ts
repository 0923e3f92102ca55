// Shared bench plumbing: result rows, percentiles, a relay child process, tokens, posting, and a bare bus client (the floor).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RelayProcess, spawnRelayProcess } from "../../test/support/relay-process.ts";

/** BENCH_QUICK=1: short durations, to check the benches work (figures are not meaningful). */
export const QUICK = process.env.BENCH_QUICK === "1";

export interface Row {
  name: string;
  value: number;
  unit: string;
  /** The floor measured in the same run (same unit). */
  baseline: number;
  /** value / baseline. */
  ratio: number;
  /** The target in words, when there is one, and whether this run met it. */
  target?: string;
  met?: boolean;
  note?: string;
}

export function row(
  name: string,
  value: number,
  unit: string,
  baseline: number,
  extra: Partial<Pick<Row, "target" | "met" | "note">> = {},
): Row {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    name,
    value: round(value),
    unit,
    baseline: round(baseline),
    ratio: baseline > 0 ? round(value / baseline) : 0,
    ...extra,
  };
}

/** Nearest-rank percentile of unsorted samples (p in 0..100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export interface RelayChild {
  url: string;
  port: number;
  rootToken: string;
  dbPath: string;
  proc: RelayProcess;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

export const ROOT_TOKEN = "bench-root-token-0123456789abcdef";

/** The relay CLI as its own process (so it has its own event loop, as in production). */
export interface RelayChildOptions {
  dbPath?: string;
  /** A PostgreSQL database (AGENT_RELAY_DATABASE_URL) instead of a SQLite file. */
  databaseUrl?: string;
  port?: number;
  durable?: boolean;
  ui?: boolean;
}

export async function startRelayChild(o: RelayChildOptions = {}): Promise<RelayChild> {
  const dbPath = o.dbPath ?? join(mkdtempSync(join(tmpdir(), "relay-bench-")), "relay.db");
  const proc = spawnRelayProcess(
    [
      "--port",
      String(o.port ?? 0),
      ...(o.databaseUrl ? [] : ["--db", dbPath]),
      "--log-level",
      "warn",
      ...(o.durable ? ["--durable"] : []),
      ...(o.ui ? ["--ui-port", "0"] : []),
    ],
    {
      HOME: process.env.HOME ?? tmpdir(),
      AGENT_RELAY_ROOT_TOKEN: ROOT_TOKEN,
      ...(o.databaseUrl ? { AGENT_RELAY_DATABASE_URL: o.databaseUrl } : {}),
    },
  );
  const url = await proc.waitForUrl(15_000);
  return {
    url,
    port: Number(new URL(url).port),
    rootToken: ROOT_TOKEN,
    dbPath,
    proc,
    kill: () => proc.kill(),
  };
}

export async function mintToken(url: string, agentId: string, ttlSeconds = 3600): Promise<string> {
  const res = await fetch(`${url}/v1/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${ROOT_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ agentId, profileId: "provider-agent", ttlSeconds }),
  });
  if (res.status !== 200) throw new Error(`mint token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** POST /v1/messages as root; resolves with the new id. */
export async function post(url: string, message: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${ROOT_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ from: "bench", ...message }),
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`post: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: number }).id;
}

export interface BareBus {
  ws: WebSocket;
  close(): void;
}

/** A bare bus client (Bun's WebSocket, no runner): hello as an agent, resolve on welcome, call `onMessage` per message.new. */
export function openBareBus(
  url: string,
  hello: { agentId: string; tags?: string[]; token?: string },
  onMessage: (message: { id: number; body: string }, at: number) => void = () => {},
): Promise<BareBus> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/bus`);
    const timer = setTimeout(() => reject(new Error("bare bus: no welcome in 10 s")), 10_000);
    ws.addEventListener("open", () =>
      ws.send(
        JSON.stringify({
          type: "hello",
          role: "provider",
          token: hello.token ?? ROOT_TOKEN,
          agentId: hello.agentId,
          componentId: `bare-${hello.agentId}`,
          instanceId: crypto.randomUUID(),
          machine: "bench",
          capabilities: [],
          tags: hello.tags ?? [],
          meta: {},
          heartbeatIntervalMs: 30_000,
          status: "idle",
        }),
      ),
    );
    ws.addEventListener("message", (e) => {
      const at = performance.now();
      const frame = JSON.parse(String(e.data)) as { type: string; message?: { id: number; body: string } };
      if (frame.type === "welcome") {
        clearTimeout(timer);
        resolve({ ws, close: () => ws.close() });
      } else if (frame.type === "error") {
        clearTimeout(timer);
        reject(new Error(`bare bus: ${String(e.data)}`));
      } else if (frame.type === "message.new" && frame.message) onMessage(frame.message, at);
    });
    ws.addEventListener("error", () => {
      clearTimeout(timer);
      reject(new Error("bare bus: connection failed"));
    });
  });
}

/** Poll until `check` is truthy or the deadline passes (benches wait on conditions, never on sleeps). */
/** POST `count` messages with `concurrency` in flight; resolves with start and end (performance.now()). */
export async function blast(
  url: string,
  count: number,
  message: (i: number) => Record<string, unknown>,
  concurrency = 64,
) {
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await post(url, message(i));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { start, end: performance.now() };
}

export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}
