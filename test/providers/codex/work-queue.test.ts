// The queue that holds turns and compactions while the Codex thread is busy.
import { describe, expect, test } from "bun:test";
import { WorkQueue } from "../../../src/providers/codex/work-queue.ts";

const never = () => new AbortController().signal;

describe("WorkQueue", () => {
  test("consecutive turns are merged into one work whose settling settles every caller", async () => {
    const q = new WorkQueue();
    const a = q.push("turn", "first", [1], never());
    const b = q.push("turn", "second", [2, 3], never());
    const work = q.takeNext();
    expect(work).toMatchObject({ kind: "turn", text: "first\n\nsecond", messageIds: [1, 2, 3] });
    work?.resolve();
    await Promise.all([a, b]);
    expect(q.length).toBe(0);
  });

  test("a compaction is never merged and keeps its place in line", () => {
    const q = new WorkQueue();
    void q.push("turn", "a", [1], never());
    void q.push("compact", "", [], never());
    void q.push("turn", "b", [2], never());
    expect(q.takeNext()?.text).toBe("a");
    expect(q.takeNext()?.kind).toBe("compact");
    expect(q.takeNext()?.text).toBe("b");
    expect(q.takeNext()).toBeUndefined();
  });

  test("aborting withdraws queued work with ABORTED; after it is taken an abort changes nothing", async () => {
    const q = new WorkQueue();
    const first = new AbortController();
    const second = new AbortController();
    const taken = q.push("turn", "taken", [1], first.signal);
    const queued = q.push("turn", "queued", [2], second.signal);
    const work = q.takeNext();
    expect(work?.text).toBe("taken\n\nqueued");
    second.abort();
    first.abort();
    work?.resolve();
    await expect(taken).resolves.toBeUndefined();
    await expect(queued).resolves.toBeUndefined();

    const third = new AbortController();
    const withdrawn = q.push("turn", "late", [3], third.signal);
    third.abort();
    await expect(withdrawn).rejects.toMatchObject({ code: "ABORTED" });
    expect(q.length).toBe(0);
  });

  test("rejectAll fails everything still queued", async () => {
    const q = new WorkQueue();
    const a = q.push("turn", "a", [1], never());
    q.rejectAll(new Error("gone"));
    await expect(a).rejects.toThrow("gone");
  });
});
