// The relay a client talks to now, out of one or more URLs: the HTTP and bus clients of a runner share one route,
// so a connection failure either of them sees moves both to the next relay.
import { TypedEmitter } from "../util/emitter.ts";
import { errorMessage } from "../util/errors.ts";
import type { Logger } from "../util/logger.ts";

export interface RelaySwitch {
  from: string;
  to: string;
  reason: string;
}

/** A URL as logs show it: scheme, host and port only (no userinfo, path or query that could hold a secret). */
export function relayOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(not a URL)";
  }
}

/**
 * The failover rule: the first URL is preferred; only a connection failure of the current relay (refused,
 * reset, timeout — never an HTTP answer) moves the route, to the next URL in list order, wrapping around. A
 * failure of a relay that is no longer current (a request still in flight to it) moves nothing, and nothing
 * moves back to the preferred relay while the current one works: no flapping.
 */
export class RelayRoute {
  readonly urls: readonly string[];
  private index = 0;
  private switchCount = 0;
  private readonly events: TypedEmitter<{ switch: RelaySwitch }>;

  constructor(
    urls: string | readonly string[],
    private readonly logger?: Logger,
  ) {
    const list = typeof urls === "string" ? [urls] : [...urls];
    if (list.length === 0) throw new TypeError("RelayRoute needs at least one relay URL");
    this.urls = Object.freeze(list);
    this.events = new TypedEmitter((event, e) =>
      logger?.error({ event, err: errorMessage(e) }, "relay route listener threw"),
    );
  }

  /** The relay to use now. */
  get current(): string {
    return this.urls[this.index]!;
  }

  get preferred(): string {
    return this.urls[0]!;
  }

  get size(): number {
    return this.urls.length;
  }

  /** How many times the route moved. */
  get switches(): number {
    return this.switchCount;
  }

  /** Subscribe to route changes; returns the unsubscribe function. */
  onSwitch(listener: (s: RelaySwitch) => void): () => void {
    return this.events.on("switch", listener);
  }

  /** A connection to `url` failed: when it is the current relay, move to the next one. Answers the relay to use now. */
  failed(url: string, reason: string): string {
    if (this.urls.length === 1 || url !== this.current) return this.current;
    const from = this.current;
    this.index = (this.index + 1) % this.urls.length;
    this.switchCount++;
    const to = this.current;
    this.logger?.warn(
      { from: relayOrigin(from), to: relayOrigin(to), reason },
      `relay failover: ${relayOrigin(from)} → ${relayOrigin(to)}`,
    );
    this.events.emit("switch", { from, to, reason });
    return to;
  }
}
