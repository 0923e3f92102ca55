// ReplicaFollower against an in-memory message sequence: what it publishes, when, and what it never publishes twice.
import { expect, test } from "bun:test";
import type { Message } from "../../src/protocol/index.ts";
import { ReplicaFollower } from "../../src/relay/replica-follower.ts";
import type { MessageSequence, NewMessage } from "../../src/relay/store/types.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { waitFor } from "../support/wait-for.ts";

/** One database's messages as every relay sees them; `wake` is the NOTIFY, which tests may drop. */
class FakeSequence implements MessageSequence {
  rows: Message[] = [];
  reads = 0;
  failReads = 0;
  notify = true;
  private wakes: (() => void)[] = [];

  /** Another relay commits `n` messages. */
  commitOther(n: number): number[] {
    const ids = Array.from({ length: n }, () => this.add());
    if (this.notify) for (const w of this.wakes) w();
    return ids;
  }
  add(): number {
    const id = (this.rows.at(-1)?.id ?? 0) + 1;
    this.rows.push({ id } as Message);
    return id;
  }
  async lastMessageId() {
    return this.rows.at(-1)?.id ?? 0;
  }
  async messagesBetween(afterId: number, beforeId: number, limit: number) {
    this.reads++;
    if (this.failReads > 0 && this.failReads--) throw new Error("connection lost");
    return this.rows.filter((m) => m.id > afterId && m.id < beforeId).slice(0, limit);
  }
  async listenForMessages(wake: () => void) {
    this.wakes.push(wake);
    return async () => {
      this.wakes = this.wakes.filter((w) => w !== wake);
    };
  }
}

async function setup(o: { batchSize?: number } = {}) {
  const source = new FakeSequence();
  const clock = new ManualClock();
  const published: number[] = [];
  const follower = new ReplicaFollower({
    source,
    messages: {
      insertBatch: async (batch: readonly NewMessage[]) => batch.map(() => ({ id: source.add() }) as Message),
    },
    publish: (batch) => published.push(...batch.map((m) => m.id)),
    clock,
    logger: silentLogger(),
    pollMs: 1_000,
    ...o,
  });
  source.add();
  await follower.start();
  return { source, clock, published, follower };
}

test("messages committed before start are not pushed; those after are, on the notification", async () => {
  const { source, published, follower } = await setup();
  const ids = source.commitOther(3);
  await waitFor(() => published.length === 3, { what: "three published" });
  expect(published).toEqual(ids);
  await follower.stop();
});

test("with every notification lost, the fallback timer alone publishes each message once", async () => {
  const { source, clock, published, follower } = await setup();
  source.notify = false;
  const ids = source.commitOther(2);
  await clock.advance(999);
  expect(published).toEqual([]);
  await clock.advance(1);
  await waitFor(() => published.length === 2, { what: "published by the timer" });
  await clock.advance(3_000);
  expect(published).toEqual(ids);
  await follower.stop();
});

test("a backlog longer than a page is read in bounded, ascending pages", async () => {
  const { source, published, follower } = await setup({ batchSize: 7 });
  const ids = source.commitOther(30);
  await waitFor(() => published.length === 30, { what: "the whole backlog" });
  expect(published).toEqual(ids);
  expect(source.reads).toBeGreaterThanOrEqual(5);
  await follower.stop();
});

test("after an own commit, other relays' messages below it are published first and the own batch never", async () => {
  const { source, published, follower } = await setup();
  source.notify = false;
  const theirs = source.commitOther(2);
  const own = await follower.insertBatch([{} as NewMessage, {} as NewMessage]);
  // Published before insertBatch answered: the writer publishes its own batch next, so the order holds.
  expect(published).toEqual(theirs);
  const later = source.commitOther(1);
  follower.wake();
  await waitFor(() => published.length === 3, { what: "the later message" });
  expect(published).toEqual([...theirs, ...later]);
  expect(published).not.toContain(own[0]!.id);
  await follower.stop();
});

test("when the read after an own commit fails, the next read skips the own ids and publishes the rest once", async () => {
  const { source, published, follower } = await setup();
  source.notify = false;
  const theirs = source.commitOther(1);
  source.failReads = 1;
  const own = await follower.insertBatch([{} as NewMessage]);
  expect(published).toEqual([]);
  const later = source.commitOther(1);
  follower.wake();
  await waitFor(() => published.length === 2, { what: "the rest" });
  expect(published).toEqual([...theirs, ...later]);
  expect(published).not.toContain(own[0]!.id);
  await follower.stop();
});

test("once stopped, no timer is armed and wake-ups read nothing", async () => {
  const { source, clock, follower } = await setup();
  await follower.stop();
  const reads = source.reads;
  source.commitOther(1);
  follower.wake();
  await clock.advance(5_000);
  expect(source.reads).toBe(reads);
  expect(clock.timerCount).toBe(0);
});
