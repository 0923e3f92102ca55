// HTTP transport on an undici Pool: explicit keep-alive pool and per-request header/body timeouts.
// Bun maps the bare "undici" specifier to its own fetch-based stand-in (whose Pool is an empty stub), so this
// imports the real package by file path — lazily: loading undici costs ~150 ms, and the default transport is fetch.
import type { Dispatcher, Pool as UndiciPool } from "undici/index.js";
import {
  classifyFailure,
  type HttpTransport,
  parseContentLength,
  readCapped,
  type TransportRequest,
  type TransportResponse,
} from "./transport.ts";

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

function isTimeout(e: unknown): boolean {
  return typeof e === "object" && e !== null && TIMEOUT_CODES.has(String((e as { code?: unknown }).code));
}

export interface UndiciTransportOptions {
  /** Most sockets kept open to the relay. */
  connections?: number;
  keepAliveTimeoutMs?: number;
}

export function createUndiciTransport(baseUrl: string, options: UndiciTransportOptions = {}): HttpTransport {
  const url = new URL(baseUrl);
  const basePath = url.pathname.replace(/\/+$/, "");
  const { Pool } = require("undici/index.js") as { Pool: typeof UndiciPool };
  const pool = new Pool(url.origin, {
    connections: options.connections ?? 16,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
  });
  return {
    async request(req: TransportRequest): Promise<TransportResponse> {
      let res: Dispatcher.ResponseData;
      try {
        res = await pool.request({
          origin: url.origin,
          path: basePath + req.path,
          method: req.method,
          headers: req.headers as Record<string, string>,
          body: req.body ?? null,
          signal: req.signal ?? null,
          headersTimeout: req.timeoutMs,
          bodyTimeout: req.timeoutMs,
        });
      } catch (e) {
        throw classifyFailure(e, req, isTimeout(e));
      }
      const body = res.body;
      return {
        status: res.statusCode,
        async text() {
          try {
            return await body.text();
          } catch (e) {
            throw classifyFailure(e, req, isTimeout(e));
          }
        },
        async bytes(maxBytes = Number.POSITIVE_INFINITY) {
          try {
            return await readCapped(body, maxBytes, parseContentLength(res.headers["content-length"]), req);
          } catch (e) {
            throw classifyFailure(e, req, isTimeout(e));
          } finally {
            if (!body.destroyed) body.destroy();
          }
        },
        async discard() {
          await body.dump().catch(() => {});
        },
      };
    },
    async close() {
      await pool.close();
    },
  };
}
