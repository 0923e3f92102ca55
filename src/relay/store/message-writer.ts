// Group commit for new messages: inserts queued during one event-loop turn share one SQLite transaction.
import type { Database } from "bun:sqlite";
import type { Message } from "../../protocol/index.ts";
import type { MessageStore, NewMessage } from "./messages.ts";

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
 *
 * One sender's bad message never fails another's: payloads are serialised before they join a batch (a
 * failure there rejects that insert alone), and a batch whose transaction fails is retried one message per
 * transaction, so only the message that fails again is rejected.
 */
export class MessageWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly insertBatch: (items: Pending[]) => Message[];

  constructor(
    db: Database,
    messages: MessageStore,
    private readonly onCommitted: (batch: Message[]) => void,
  ) {
    this.insertBatch = db.transaction((items: Pending[]) => items.map((p) => messages.insert(p.input)));
  }

  insert(input: NewMessage): Promise<Message> {
    let payloadJson: string;
    try {
      payloadJson = input.payloadJson ?? JSON.stringify(input.payload);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ input: { ...input, payloadJson }, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit whatever is queued right now (used on shutdown, before the database closes). */
  flushNow(): void {
    while (this.queue.length > 0) this.flush();
  }

  private flush(): void {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (this.queue.length > 0) setImmediate(() => this.flush());
    else this.scheduled = false;
    if (batch.length === 0) return;
    let stored: Message[];
    try {
      stored = this.insertBatch(batch);
    } catch (e) {
      if (batch.length === 1) {
        batch[0]!.reject(e);
        return;
      }
      this.oneByOne(batch);
      return;
    }
    this.committed(batch, stored);
  }

  /** After a failed batch: each message in its own transaction; those that fail again are rejected alone. */
  private oneByOne(batch: Pending[]): void {
    const done: Pending[] = [];
    const stored: Message[] = [];
    for (const p of batch) {
      try {
        stored.push(this.insertBatch([p])[0]!);
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
    } finally {
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(stored[i]!);
    }
  }
}
