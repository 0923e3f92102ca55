// Several relays on one database: messages the other relays commit reach this relay's bus sessions, in id order.
import type { Message } from "../protocol/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { WakeUps } from "./replica-wake-ups.ts";
import type { MessageSequence, MessageStore } from "./store/types.ts";

export interface ReplicaFollowerOptions {
  source: MessageSequence;
  /** Where this relay's own inserts go (the store's messages). */
  messages: Pick<MessageStore, "insertBatch">;
  /** The path a local commit takes (bus fan-out, fleet view): given the other relays' messages, in id order. */
  publish: (batch: Message[]) => void;
  clock: Clock;
  logger: Logger;
  /** A read every this often whatever the notifications do (they may be lost); default 1 s. */
  pollMs?: number;
  /** Most messages one read takes; default 500 (a longer backlog is read in several). */
  batchSize?: number;
}

/**
 * Keeps `lastSeen`, the highest id this relay has published, and reads `id > lastSeen` (ascending, bounded) on every
 * wake-up: a NOTIFY from any relay, the fallback timer, and each of its own commits. Nothing depends on a
 * notification arriving: the timer alone delivers everything, only later.
 *
 * It is also the writer's insertBatch: own inserts and reads run one at a time, so a read never sees an own row
 * before it is known as own. After an own commit it publishes the other relays' messages below the batch's first
 * id (ids commit in ascending order, so those are all committed), then the writer publishes its batch: one relay's
 * sessions get every message in id order.
 */
export class ReplicaFollower implements Pick<MessageStore, "insertBatch"> {
  private lastSeen = 0;
  /** Own ids above lastSeen (only when the read after an own commit failed): reads skip them. */
  private readonly own = new Set<number>();
  /** Own inserts and reads, one at a time. */
  private chain: Promise<unknown> = Promise.resolve();
  private readQueued = false;
  private readonly wakeUps: WakeUps;
  private readonly batchSize: number;

  constructor(private readonly o: ReplicaFollowerOptions) {
    this.batchSize = o.batchSize ?? 500;
    this.wakeUps = new WakeUps({ ...o, pollMs: o.pollMs ?? 1_000, onTick: () => this.wake() });
  }

  /** Messages committed before now are not pushed (sessions read their backlog themselves); those after are. */
  async start(): Promise<void> {
    this.lastSeen = await this.o.source.lastMessageId();
    await this.wakeUps.start(() => this.o.source.listenForMessages(() => this.wake()));
  }

  /** Stop listening and polling (resolves after a read in progress); own inserts keep working until the store closes. */
  async stop(): Promise<void> {
    await this.wakeUps.stop();
    await this.chain;
  }

  /** Read what is new now (after whatever read or insert is in flight); wake-ups while one is queued coalesce. */
  wake(): void {
    if (!this.wakeUps.following || this.readQueued) return;
    this.readQueued = true;
    void this.serially(async () => {
      this.readQueued = false;
      await this.readNew().catch((e) =>
        this.o.logger.warn({ err: e }, "could not read other relays' messages"),
      );
    });
  }

  insertBatch(batch: Parameters<MessageStore["insertBatch"]>[0]): Promise<Message[]> {
    return this.serially(async () => {
      const stored = await this.o.messages.insertBatch(batch);
      if (stored.length > 0) await this.afterOwnCommit(stored);
      return stored;
    });
  }

  /** Never throws: the batch is committed, so a failed read only leaves its ids for the next read to skip. */
  private async afterOwnCommit(stored: Message[]): Promise<void> {
    for (const m of stored) this.own.add(m.id);
    try {
      await this.readUpTo(stored[0]!.id);
      for (const m of stored) this.own.delete(m.id);
      this.lastSeen = Math.max(this.lastSeen, stored.at(-1)!.id);
    } catch (e) {
      this.o.logger.warn({ err: e }, "could not read other relays' messages");
    }
  }

  private readNew(): Promise<void> {
    return this.readUpTo(Number.MAX_SAFE_INTEGER);
  }

  /** Publish the other relays' messages with lastSeen < id < beforeId, a bounded page at a time. */
  private async readUpTo(beforeId: number): Promise<void> {
    while (beforeId > this.lastSeen + 1) {
      const page = await this.o.source.messagesBetween(this.lastSeen, beforeId, this.batchSize);
      if (page.length === 0) return;
      const theirs = page.filter((m) => !this.own.delete(m.id));
      this.lastSeen = page.at(-1)!.id;
      this.publish(theirs);
      if (page.length < this.batchSize) return;
    }
  }

  private publish(batch: Message[]): void {
    if (batch.length === 0) return;
    try {
      this.o.publish(batch);
    } catch (e) {
      this.o.logger.error({ err: e }, "publishing other relays' messages failed");
    }
  }

  private serially<T>(run: () => Promise<T>): Promise<T> {
    const done = this.chain.then(run);
    this.chain = done.catch(() => {});
    return done;
  }
}
