// Group commit for new messages: inserts queued during one event-loop turn share one store transaction.
import type { Message } from "../../protocol/index.ts";
import type { NewMessage } from "./records.ts";
import type { MessageStore } from "./types.ts";

interface Pending {
  input: NewMessage;
  resolve: (m: Message) => void;
  reject: (e: unknown) => void;
}

/** Most inserts one transaction takes; the rest wait for the next turn. */
const MAX_BATCH = 512;

/**
 * Each commit costs several page writes (table, index, sequence) whatever its size, so concurrent senders
 * are batched: the promise resolves only after the batch's COMMIT, so an acknowledged message is stored.
 * `onCommitted` runs right after each commit, before the callers resume, with the batch in id order.
 * Batches commit one at a time, in order, so they are published in id order; messages that arrive while a
 * commit is in flight wait for the next batch.
 *
 * One sender's bad message never fails another's: payloads are serialised before they join a batch (a
 * failure there rejects that insert alone), and a batch whose transaction fails is retried one message per
 * transaction, so only the message that fails again is rejected.
 */
export class MessageWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  /** The last flush: each flush starts after the one before it has committed and published. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly messages: Pick<MessageStore, "insertBatch">,
    private readonly onCommitted: (batch: Message[]) => void,
  ) {}

  insert(input: NewMessage): Promise<Message> {
    let payloadJson: string;
    try {
      payloadJson = input.payloadJson ?? JSON.stringify(input.payload);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ input: { ...input, payloadJson }, resolve, reject });
      this.schedule();
    });
  }

  /** Commit whatever is queued right now, after any commit in flight (on shutdown, before the store closes). */
  async flushNow(): Promise<void> {
    do await this.next();
    while (this.queue.length > 0);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.next());
  }

  private next(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flush());
    return this.flushing;
  }

  /** Never rejects: every failure is given to the callers it concerns. */
  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, MAX_BATCH);
    this.scheduled = false;
    if (this.queue.length > 0) this.schedule();
    if (batch.length === 0) return;
    let stored: Message[];
    try {
      stored = await this.messages.insertBatch(batch.map((p) => p.input));
    } catch (e) {
      if (batch.length === 1) {
        batch[0]!.reject(e);
        return;
      }
      await this.oneByOne(batch);
      return;
    }
    this.committed(batch, stored);
  }

  /** After a failed batch: each message in its own transaction; those that fail again are rejected alone. */
  private async oneByOne(batch: Pending[]): Promise<void> {
    const done: Pending[] = [];
    const stored: Message[] = [];
    for (const p of batch) {
      try {
        stored.push((await this.messages.insertBatch([p.input]))[0]!);
        done.push(p);
      } catch (e) {
        p.reject(e);
      }
    }
    this.committed(done, stored);
  }

  private committed(batch: Pending[], stored: Message[]): void {
    if (batch.length === 0) return;
    try {
      this.onCommitted(stored);
    } catch (e) {
      // Stored all the same: the callers resume, and the publisher's error surfaces as before (uncaught), never
      // breaking the chain of flushes.
      queueMicrotask(() => {
        throw e;
      });
    } finally {
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(stored[i]!);
    }
  }
}
