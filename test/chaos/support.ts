// Chaos helpers: a cuttable loopback TCP proxy, a fault-injecting HTTP proxy (bus passed through), and null-adapter runners.
import type { ServerWebSocket, Socket, TCPSocketListener } from "bun";
import pino from "pino";
import { type NullRunner, startNullRunner } from "../../bench/support/null-runner.ts";
import type { ControlServerOptions } from "../../src/control/index.ts";
import type { RUNNER_TIMERS } from "../../src/runner/agent-runner.ts";
import type { Logger } from "../../src/util/logger.ts";

export interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger writing parsed records into an array (the "stream" the chaos tests count log lines in). */
export function capturedLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => records.push(JSON.parse(line) as LogRecord) },
  );
  return { logger, records };
}

/** How many records at warn and above carry each message text. */
export function warnCounts(records: readonly LogRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) if (r.level >= 40) counts[r.msg] = (counts[r.msg] ?? 0) + 1;
  return counts;
}

/** Ids delivered more than once (optionally only within one provider session). */
export function duplicates(
  deliveries: readonly { id: number; session?: string }[],
  perSession = false,
): number[] {
  const seen = new Set<string>();
  const dup: number[] = [];
  for (const d of deliveries) {
    const key = perSession ? `${d.session}:${d.id}` : String(d.id);
    if (seen.has(key)) dup.push(d.id);
    seen.add(key);
  }
  return dup;
}

export function missing(expected: readonly number[], delivered: readonly { id: number }[]): number[] {
  const got = new Set(delivered.map((d) => d.id));
  return expected.filter((id) => !got.has(id));
}

const live = new Set<NullRunner>();

/** A runner with the recording null adapter; stopped by stopChaosRunners(). */
export async function chaosRunner(o: {
  relayUrl: string | readonly string[];
  token: string;
  agentId: string;
  tags?: string[];
  logger?: Logger;
  timers?: Partial<Record<keyof typeof RUNNER_TIMERS, number>>;
  control?: ControlServerOptions;
}): Promise<NullRunner> {
  const r = await startNullRunner({ ...o, noStart: true });
  live.add(r);
  await r.runner.start();
  return r;
}

export async function stopChaosRunners(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.all(all.map((r) => r.stop()));
}

interface Pipe {
  upstream?: Socket<Pipe>;
  /** Bytes the client sent before the upstream connection was open. */
  early: Uint8Array[];
  client?: Socket<Pipe>;
}

/** A loopback TCP proxy to `targetPort`; cut() closes every connection through it (both sides) at once. */
export interface TcpProxy {
  url: string;
  port: number;
  /** Connections ever accepted. */
  readonly accepted: number;
  cut(): number;
  close(): void;
}

export function tcpProxy(targetPort: number): TcpProxy {
  const pipes = new Set<Pipe>();
  let accepted = 0;
  const listener: TCPSocketListener<Pipe> = Bun.listen<Pipe>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        accepted++;
        const pipe: Pipe = { early: [], client };
        client.data = pipe;
        pipes.add(pipe);
        void Bun.connect<Pipe>({
          hostname: "127.0.0.1",
          port: targetPort,
          data: pipe,
          socket: {
            open(up) {
              pipe.upstream = up;
              for (const chunk of pipe.early) up.write(chunk);
              pipe.early = [];
            },
            data(_up, chunk) {
              pipe.client?.write(chunk);
            },
            close() {
              pipes.delete(pipe);
              pipe.client?.end();
            },
            error() {
              pipe.client?.end();
            },
          },
        }).catch(() => client.end());
      },
      data(client, chunk) {
        const up = client.data.upstream;
        if (up) up.write(chunk);
        else client.data.early.push(new Uint8Array(chunk));
      },
      close(client) {
        pipes.delete(client.data);
        client.data.upstream?.end();
      },
      error(client) {
        client.data.upstream?.end();
      },
    },
  });
  return {
    url: `http://127.0.0.1:${listener.port}`,
    port: listener.port,
    get accepted() {
      return accepted;
    },
    cut() {
      const n = pipes.size;
      for (const p of [...pipes]) {
        // terminate(): drop at once, no FIN handshake — what a pulled cable or a dead NAT entry looks like.
        p.client?.terminate();
        p.upstream?.terminate();
      }
      pipes.clear();
      return n;
    },
    close() {
      this.cut();
      listener.stop(true);
    },
  };
}

/** What the fault proxy does with one HTTP request. */
export type Fault = { kind: "pass" } | { kind: "status"; status: number } | { kind: "delay"; ms: number };

export interface FaultProxy {
  url: string;
  /** Requests seen per fault kind applied ("pass", "status-503", "delay"). */
  readonly applied: Record<string, number>;
  /** Statuses the relay answered passed-through requests with. */
  readonly upstreamStatuses: Record<number, number>;
  /** Bus frames relayed from the relay to the runner, by frame type. */
  readonly busFrames: Record<string, number>;
  /** Bus sockets the runner opened through the proxy. */
  readonly busConnections: number;
  close(): void;
}

interface WsData {
  upstream?: WebSocket;
  queue: (string | Buffer)[];
}

/** An HTTP proxy on loopback that asks `decide` what to do with each request; bus upgrades are relayed untouched. */
export function faultProxy(targetUrl: string, decide: (req: Request, path: string) => Fault): FaultProxy {
  const applied: Record<string, number> = {};
  const upstreamStatuses: Record<number, number> = {};
  const busFrames: Record<string, number> = {};
  let busConnections = 0;
  const server = Bun.serve<WsData, never>({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req, srv) {
      const url = new URL(req.url);
      if (url.pathname === "/v1/bus") {
        if (srv.upgrade(req, { data: { queue: [] } })) return undefined;
        return new Response("upgrade failed", { status: 400 });
      }
      const fault = decide(req, url.pathname);
      const label = fault.kind === "status" ? `status-${fault.status}` : fault.kind;
      applied[label] = (applied[label] ?? 0) + 1;
      if (fault.kind === "status") {
        return Response.json(
          { error: { code: "internal", message: "injected by the fault proxy" } },
          { status: fault.status },
        );
      }
      if (fault.kind === "delay") await new Promise((r) => setTimeout(r, fault.ms));
      const headers = new Headers(req.headers);
      headers.delete("host");
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const res = await fetch(`${targetUrl}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        body,
      });
      return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
    },
    websocket: {
      maxPayloadLength: 16 * 1024 * 1024,
      open(ws: ServerWebSocket<WsData>) {
        busConnections++;
        const up = new WebSocket(`${targetUrl.replace(/^http/, "ws")}/v1/bus`);
        ws.data.upstream = up;
        up.addEventListener("open", () => {
          for (const m of ws.data.queue) up.send(m);
          ws.data.queue = [];
        });
        up.addEventListener("message", (e) => {
          const type = /"type":"([^"]{1,40})"/.exec(String(e.data))?.[1] ?? "?";
          busFrames[type] = (busFrames[type] ?? 0) + 1;
          ws.send(e.data as string);
        });
        up.addEventListener("close", () => ws.close());
        up.addEventListener("error", () => ws.close());
      },
      message(ws: ServerWebSocket<WsData>, m) {
        const up = ws.data.upstream;
        if (up && up.readyState === WebSocket.OPEN) up.send(m);
        else ws.data.queue.push(m);
      },
      close(ws: ServerWebSocket<WsData>) {
        ws.data.upstream?.close();
      },
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    applied,
    upstreamStatuses,
    busFrames,
    get busConnections() {
      return busConnections;
    },
    close: () => void server.stop(true),
  };
}

/**
 * Quiesce, then count: each runner re-reads its unread list (what a reconnect or liveness round does) and drains;
 * the answer is what the acknowledged ids got across all runners.
 */
export async function settleAndCount(
  runners: readonly NullRunner[],
  acked: readonly number[],
): Promise<{ sent: number; lost: number; duplicated: number }> {
  for (const r of runners) {
    await r.runner.liveness.readUnread();
    await r.runner.queue.idle();
  }
  const all = runners.flatMap((r) => r.adapter.deliveries);
  return { sent: acked.length, lost: missing(acked, all).length, duplicated: duplicates(all).length };
}
