// The fleet view's live feed: a server-sent event stream per open page, pushed from what the relay changes (agent
// rows, new messages, receipts, tasks) — never a poll of the store. Costs nothing while no page is open.
import type { Agent, Message, Receipt, Task } from "../../protocol/index.ts";
import type { Clock, TimerHandle } from "../../util/clock.ts";
import type { Store } from "../store/types.ts";

export type FleetEvent =
  | { type: "snapshot"; agents: Agent[]; messages: Message[]; tasks: Task[]; at: number }
  | { type: "task"; task: Task }
  | { type: "agent"; agent: Agent }
  | { type: "agent.removed"; id: string }
  | { type: "message"; message: Message }
  | { type: "receipt"; messageId: number; receipt: Receipt };

export interface FleetFeedOptions {
  store: Pick<Store, "agents" | "messages" | "receipts" | "tasks">;
  clock: Clock;
  /** Open streams at once; one more is refused (each page holds one). Default 32. */
  maxStreams?: number;
  /** Events a stream may have unread before it is closed as too slow (the page reconnects). Default 2,000. */
  maxBacklog?: number;
  /** A comment line this often keeps idle connections open through proxies. Default 25 s. */
  keepAliveMs?: number;
  /** Messages in the first screen. Default 100. */
  recentMessages?: number;
  /** Tasks on the first screen's board. Default 200. */
  recentTasks?: number;
}

const encoder = new TextEncoder();

/** A read the feed makes only while a page is open: answered now or after the store's round trip. */
type Read<T> = () => T | Promise<T>;

export class FleetFeed {
  private readonly streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  /** Streams whose snapshot is still being read: they count toward the cap and get changes once it is sent. */
  private readonly opening = new Set<ReadableStreamDefaultController<Uint8Array>>();
  private keepAlive: TimerHandle | undefined;
  /** Events go out in the order the changes happened, each after the reads made for the ones before it. */
  private order: Promise<void> = Promise.resolve();

  constructor(private readonly o: FleetFeedOptions) {}

  get openStreams(): number {
    return this.streams.size;
  }

  /** A new page's stream: the snapshot first, then every change. Undefined when as many streams are open as allowed. */
  open(): ReadableStream<Uint8Array> | undefined {
    if (this.streams.size >= (this.o.maxStreams ?? 32)) return undefined;
    let self: ReadableStreamDefaultController<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          self = controller;
          this.streams.add(controller);
          this.opening.add(controller);
          if (!this.keepAlive) this.armKeepAlive();
          // Queued behind the changes already announced, so the snapshot is read after them and none is lost.
          this.inOrder(async () => {
            try {
              const snapshot = await this.snapshot();
              if (this.opening.delete(controller)) controller.enqueue(frame(snapshot));
            } catch (e) {
              if (this.opening.delete(controller)) {
                this.drop(controller);
                controller.error(e);
              }
            }
          });
        },
        cancel: () => {
          if (self) this.drop(self);
        },
      },
      new CountQueuingStrategy({ highWaterMark: 1 }),
    );
  }

  /** `read` answers the agent's row (the relay shares one read between the feed and the notifier). */
  agentChanged(id: string, read: Read<Agent | undefined> = () => this.o.store.agents.get(id)): void {
    if (this.streams.size === 0) return;
    this.inOrder(async () => {
      const agent = await read();
      this.push(agent ? { type: "agent", agent } : { type: "agent.removed", id });
    });
  }

  messages(batch: readonly Message[]): void {
    if (this.streams.size === 0) return;
    this.inOrder(() => {
      for (const message of batch) this.push({ type: "message", message });
    });
  }

  /** A task was created or changed status: `read` answers it (read only while a page is open). */
  task(read: Read<Task | undefined>): void {
    if (this.streams.size === 0) return;
    this.inOrder(async () => {
      const task = await read();
      if (task) this.push({ type: "task", task });
    });
  }

  receipt(messageId: number, receipt: Receipt): void {
    if (this.streams.size === 0) return;
    this.inOrder(() => this.push({ type: "receipt", messageId, receipt }));
  }

  /** Run `step` after every step before it; a failed read drops its event, never the ones after it. */
  private inOrder(step: () => void | Promise<void>): void {
    this.order = this.order.then(step).catch(() => undefined);
  }

  /** End every stream (the relay is stopping). */
  close(): void {
    for (const c of [...this.streams]) {
      this.drop(c);
      try {
        c.close();
      } catch {
        // Already closed by the page.
      }
    }
  }

  private async snapshot(): Promise<FleetEvent> {
    const { agents, messages, receipts, tasks } = this.o.store;
    const recent: Message[] = [];
    for (const m of await messages.recent(this.o.recentMessages ?? 100)) {
      const r = await receipts.forMessage(m.id);
      recent.push(r.length > 0 ? { ...m, receipts: r } : m);
    }
    const board = await tasks.recent(this.o.recentTasks ?? 200);
    return {
      type: "snapshot",
      agents: await agents.list(),
      messages: recent,
      tasks: board,
      at: this.o.clock.now(),
    };
  }

  private push(event: FleetEvent): void {
    const bytes = frame(event);
    const maxBacklog = this.o.maxBacklog ?? 2_000;
    for (const c of this.streams) {
      if (this.opening.has(c)) continue;
      // desiredSize goes negative by the number of events the page has not read yet.
      if ((c.desiredSize ?? 0) < -maxBacklog) {
        this.drop(c);
        c.error(new Error("fleet stream too slow"));
        continue;
      }
      c.enqueue(bytes);
    }
  }

  private armKeepAlive(): void {
    this.keepAlive = this.o.clock.setTimeout(() => {
      const bytes = encoder.encode(": keep-alive\n\n");
      for (const c of this.streams) if (!this.opening.has(c)) c.enqueue(bytes);
      this.armKeepAlive();
    }, this.o.keepAliveMs ?? 25_000);
  }

  private drop(c: ReadableStreamDefaultController<Uint8Array>): void {
    this.streams.delete(c);
    this.opening.delete(c);
    if (this.streams.size === 0) {
      this.keepAlive?.cancel();
      this.keepAlive = undefined;
    }
  }
}

/** One server-sent event: the type as the event name, the JSON on one data line (JSON has no raw newlines). */
function frame(event: FleetEvent): Uint8Array {
  return encoder.encode(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}
