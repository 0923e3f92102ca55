// The delivery stream a provider-side monitor reads: server-sent events, one item per relay message, resumable.
//
// Wire format (text/event-stream; every item is three lines):
//   id: <epoch>-<seq>            opaque; send it back as `Last-Event-ID` (header or ?lastEventId=) to resume
//   data: {"messageId":42,"line":"…"}   JSON on one line; `line` is ≤ 500 chars with no control characters
//   (blank line)
// Lines starting with ":" are comments (connect notice, keep-alives) and carry nothing.
import { randomBytes } from "node:crypto";
import type { Clock, TimerHandle } from "../util/clock.ts";
import { toMonitorLine } from "./monitor-line.ts";
import type { ControlEvent, DeliveryLineInput, DeliveryStreamItem } from "./schemas.ts";

export interface DeliveryStreamOptions {
  clock: Clock;
  emit: (event: ControlEvent) => void;
  /** How many recent items a reconnecting reader can resume from. */
  bufferSize?: number;
  /** A comment line this often keeps idle connections verifiably alive. */
  keepAliveMs?: number;
  /** A reader this many chunks behind is dropped (it can reconnect and resume). */
  maxQueuedChunks?: number;
}

export interface PublishResult {
  /** True when the item went to at least one connected reader; false means "no monitor connected". */
  accepted: boolean;
  /** The item's stream id when accepted. */
  eventId?: string;
  /** How many readers it went to. */
  monitors: number;
}

interface Buffered {
  seq: number;
  item: DeliveryStreamItem;
}

interface Client {
  id: string;
  controller: ReadableStreamDefaultController<Uint8Array>;
}

const encoder = new TextEncoder();

export class DeliveryStream {
  /** Distinguishes this server's ids from a previous run's, so a stale Last-Event-ID never replays wrongly. */
  private readonly epoch = randomBytes(4).toString("hex");
  private seq = 0;
  private nextClient = 1;
  private readonly ring: Buffered[] = [];
  private readonly clients = new Map<string, Client>();
  private keepAlive: TimerHandle | undefined;
  private readonly bufferSize: number;
  private readonly keepAliveMs: number;
  private readonly maxQueuedChunks: number;

  constructor(private readonly options: DeliveryStreamOptions) {
    this.bufferSize = options.bufferSize ?? 512;
    this.keepAliveMs = options.keepAliveMs ?? 15_000;
    this.maxQueuedChunks = options.maxQueuedChunks ?? 1_000;
  }

  get monitors(): number {
    return this.clients.size;
  }

  /** Send one item to every connected reader. Items published with no reader are not kept (the caller falls back). */
  publish(input: DeliveryLineInput): PublishResult {
    if (this.clients.size === 0) return { accepted: false, monitors: 0 };
    const entry: Buffered = {
      seq: ++this.seq,
      item: { messageId: input.messageId, line: toMonitorLine(input.line) },
    };
    this.ring.push(entry);
    if (this.ring.length > this.bufferSize) this.ring.shift();
    const chunk = this.encodeItem(entry);
    let sent = 0;
    for (const client of [...this.clients.values()]) if (this.send(client, chunk)) sent++;
    return sent > 0
      ? { accepted: true, eventId: this.eventId(entry.seq), monitors: sent }
      : { accepted: false, monitors: 0 };
  }

  /** Whether a message's line is still in the resume buffer (the ack route accepts only those). */
  hasRecent(messageId: number): boolean {
    return this.ring.some((b) => b.item.messageId === messageId);
  }

  /** A streaming response for one reader; replays buffered items after `lastEventId` first. */
  open(lastEventId: string | undefined, signal: AbortSignal): Response {
    const clientId = `m${this.nextClient++}`;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        controller.enqueue(encoder.encode(`retry: 1000\n: connected ${clientId}\n\n`));
        if (lastEventId !== undefined)
          for (const chunk of this.replayAfter(clientId, lastEventId)) controller.enqueue(chunk);
        // Registered in the same tick as the replay, so no live item can slip between replay and subscription.
        this.clients.set(clientId, { id: clientId, controller });
        this.armKeepAlive();
        this.options.emit({
          type: "monitor.connected",
          clientId,
          monitors: this.clients.size,
          ...(lastEventId !== undefined ? { resumedAfter: lastEventId } : {}),
        });
        if (signal.aborted) this.drop(clientId);
        else signal.addEventListener("abort", () => this.drop(clientId), { once: true });
      },
      cancel: () => this.drop(clientId),
    });
    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  /** End every reader's stream (server stopping). */
  closeAll(): void {
    for (const client of [...this.clients.values()]) {
      try {
        client.controller.close();
      } catch {
        // Already closed or errored: nothing left to end.
      }
      this.drop(client.id);
    }
  }

  private replayAfter(clientId: string, lastEventId: string): Uint8Array[] {
    const m = /^([0-9a-f]+)-(\d+)$/.exec(lastEventId.trim());
    const lastSeq = m && m[1] === this.epoch ? Number(m[2]) : undefined;
    if (lastSeq === undefined || lastSeq > this.seq) {
      this.options.emit({ type: "monitor.resume-gap", clientId, lastEventId });
      return [];
    }
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    if (oldest > lastSeq + 1) this.options.emit({ type: "monitor.resume-gap", clientId, lastEventId });
    return this.ring.filter((b) => b.seq > lastSeq).map((b) => this.encodeItem(b));
  }

  private send(client: Client, chunk: Uint8Array): boolean {
    try {
      const backlog = client.controller.desiredSize;
      if (backlog !== null && backlog < -this.maxQueuedChunks) {
        client.controller.error(new Error("delivery stream reader is not reading"));
        this.drop(client.id);
        return false;
      }
      client.controller.enqueue(chunk);
      return true;
    } catch {
      this.drop(client.id);
      return false;
    }
  }

  private drop(clientId: string): void {
    if (!this.clients.delete(clientId)) return;
    this.options.emit({ type: "monitor.disconnected", clientId, monitors: this.clients.size });
    if (this.clients.size === 0) {
      this.keepAlive?.cancel();
      this.keepAlive = undefined;
    }
  }

  private armKeepAlive(): void {
    if (this.keepAlive) return;
    this.keepAlive = this.options.clock.setTimeout(() => {
      this.keepAlive = undefined;
      const ping = encoder.encode(": keep-alive\n\n");
      for (const client of [...this.clients.values()]) this.send(client, ping);
      if (this.clients.size > 0) this.armKeepAlive();
    }, this.keepAliveMs);
  }

  private eventId(seq: number): string {
    return `${this.epoch}-${seq}`;
  }

  private encodeItem(entry: Buffered): Uint8Array {
    return encoder.encode(`id: ${this.eventId(entry.seq)}\ndata: ${JSON.stringify(entry.item)}\n\n`);
  }
}
