// The HTTP transport over a relay route: each request goes to the route's current relay; a connection failure
// (refused, reset, timeout — never an HTTP answer) moves the route to the next relay.
import { RelayUnavailableError } from "./errors.ts";
import type { RelayRoute } from "./relay-route.ts";
import {
  classifyFailure,
  type HttpTransport,
  type TransportRequest,
  type TransportResponse,
} from "./transport.ts";
import { createFetchTransport } from "./transport-fetch.ts";

/** The request never reached a relay (connection refused): safe to send again elsewhere, whatever its method. */
export function isConnectionRefused(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (code === "ECONNREFUSED" || code === "ConnectionRefused") return true;
  }
  return false;
}

/**
 * A refused request is sent to the next relay at once (at most once to each); a reset or a timeout is not sent
 * again, because the relay may have acted on it — the caller's own retry reaches the next relay.
 */
export function createFailoverTransport(route: RelayRoute): HttpTransport {
  for (const u of route.urls) {
    const { protocol } = new URL(u);
    if (protocol !== "http:" && protocol !== "https:")
      throw new TypeError(`relayUrl must be http(s), got ${protocol}`);
  }
  let closed = false;
  const transports = new Map<string, HttpTransport>();
  const transportFor = (url: string): HttpTransport => {
    let t = transports.get(url);
    if (!t) {
      t = createFetchTransport(url);
      transports.set(url, t);
    }
    return t;
  };
  return {
    async request(req: TransportRequest): Promise<TransportResponse> {
      // A closed client is not a relay failure: the route stays where it is.
      if (closed) throw classifyFailure(new Error("client closed"), req, false);
      for (let tries = 1; ; tries++) {
        const url = route.current;
        try {
          return await transportFor(url).request(req);
        } catch (e) {
          if (!(e instanceof RelayUnavailableError)) throw e;
          route.failed(url, e.message);
          if (!isConnectionRefused(e) || tries >= route.size) throw e;
        }
      }
    },
    async close() {
      closed = true;
      await Promise.all([...transports.values()].map((t) => t.close()));
    },
  };
}
