// HTTP transport on the runtime's fetch (Bun's native client: pooled keep-alive connections, the cheapest per request).
import {
  classifyFailure,
  type HttpTransport,
  parseContentLength,
  readCapped,
  type TransportRequest,
  type TransportResponse,
} from "./transport.ts";

const EMPTY: AsyncIterable<Uint8Array> = { async *[Symbol.asyncIterator]() {} };

export function createFetchTransport(baseUrl: string): HttpTransport {
  const base = baseUrl.replace(/\/+$/, "");
  let closed = false;
  return {
    async request(req: TransportRequest): Promise<TransportResponse> {
      if (closed) throw classifyFailure(new Error("client closed"), req, false);
      // The timeout covers the whole exchange, body included, because the body is read under the same signal.
      const timeout = AbortSignal.timeout(req.timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      let res: Response;
      try {
        res = await fetch(base + req.path, {
          method: req.method,
          headers: req.headers as Record<string, string>,
          body: req.body ?? null,
          signal,
          redirect: "error",
        });
      } catch (e) {
        throw classifyFailure(e, req, timeout.aborted);
      }
      return {
        status: res.status,
        async text() {
          try {
            return await res.text();
          } catch (e) {
            throw classifyFailure(e, req, timeout.aborted);
          }
        },
        async bytes(maxBytes = Number.POSITIVE_INFINITY) {
          try {
            const body = (res.body as AsyncIterable<Uint8Array> | null) ?? EMPTY;
            return await readCapped(
              body,
              maxBytes,
              parseContentLength(res.headers.get("content-length")),
              req,
            );
          } catch (e) {
            throw classifyFailure(e, req, timeout.aborted);
          } finally {
            if (!res.bodyUsed) await res.body?.cancel().catch(() => {});
          }
        },
        async discard() {
          await res.body?.cancel().catch(() => {});
        },
      };
    },
    async close() {
      closed = true;
    },
  };
}
