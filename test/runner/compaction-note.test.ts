// The compaction note's text and its once-per-compaction rule (manual clock), and how the current task is found.
import { describe, expect, test } from "bun:test";
import { RELAY_INSTRUCTIONS } from "../../src/providers/relay-instructions.ts";
import {
  CompactionNotes,
  type CompactionNotesOptions,
  compactionNoteText,
  currentTaskSource,
  NOTE_HEADER,
  type NoteTask,
} from "../../src/runner/compaction-note.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { ManualClock } from "../support/manual-clock.ts";

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

describe("compactionNoteText", () => {
  test("names the task, how to report each outcome for it, then the relay instructions", () => {
    const text = compactionNoteText({ id: 42, title: "port the parser" }, RELAY_INSTRUCTIONS);
    expect(text.startsWith(NOTE_HEADER)).toBe(true);
    expect(text).toContain('Your current task: #42 "port the parser" (still in progress).');
    expect(text).toContain('"$AGENT_RELAY_BIN" task done|partial|fail 42 --summary');
    expect(text.endsWith(RELAY_INSTRUCTIONS)).toBe(true);
    expect(count(text, RELAY_INSTRUCTIONS)).toBe(1);
  });

  test("without a task: says so, and still gives the relay instructions", () => {
    const text = compactionNoteText(undefined, RELAY_INSTRUCTIONS);
    expect(text).toContain("You have no relay task in progress.");
    expect(text).not.toContain("task done|partial|fail");
    expect(text.endsWith(RELAY_INSTRUCTIONS)).toBe(true);
  });

  test("a title is one bounded line: control characters become spaces", () => {
    const text = compactionNoteText({ id: 1, title: `evil\n\u001b[2Jtitle\u0007${"x".repeat(1000)}` }, "I");
    const line = text.split("\n").find((l) => l.startsWith("Your current task")) ?? "";
    expect(line).toContain('#1 "evil [2Jtitle ');
    expect(line).not.toMatch(/[\u0000-\u001f]/);
    expect(line.length).toBeLessThan(400);
  });

  test("a task without a title is named by its id", () => {
    expect(compactionNoteText({ id: 7 }, "I")).toContain("Your current task: #7 (still in progress).");
  });
});

function notes(o: Partial<CompactionNotesOptions> & { task?: NoteTask; clock?: ManualClock } = {}) {
  const clock = o.clock ?? new ManualClock();
  const n = new CompactionNotes({
    clock,
    logger: silentLogger() as never,
    instructions: "RELAY",
    currentTask: async () => o.task,
    ...o,
  });
  return { clock, n };
}

describe("CompactionNotes: once per compaction", () => {
  test("a compaction's start arms one note; the second ask for the same compaction gets none", async () => {
    const { n } = notes({ task: { id: 3, title: "t" } });
    n.observe({ type: "compaction.started" });
    const first = await n.take();
    expect(first).toContain("#3");
    expect(await n.take()).toBeUndefined();
    // The next compaction gets its own note, however soon.
    n.observe({ type: "compaction.started" });
    expect(await n.take()).toContain("#3");
  });

  test("a compaction whose start was lost still gets a note, but not twice within the dedupe window", async () => {
    const { n, clock } = notes();
    expect(await n.take()).toContain("RELAY");
    await clock.advance(CompactionNotes.DEDUPE_MS - 1);
    expect(await n.take()).toBeUndefined();
    await clock.advance(1);
    expect(await n.take()).toContain("RELAY");
  });

  test("with an injecting provider the note goes in once when the compaction completes", async () => {
    const injected: string[] = [];
    const waiters: (() => void)[] = [];
    const injections = (n: number) =>
      new Promise<void>((r) => {
        waiters.push(() => injected.length >= n && r());
        waiters.at(-1)?.();
      });
    const clock = new ManualClock(0);
    const { n } = notes({
      clock,
      // The task id tells when the note was made: a duplicate's note would carry the first time again.
      currentTask: async () => ({ id: clock.now(), title: "x" }),
      inject: async (text) => {
        injected.push(text);
        for (const w of waiters) w();
      },
    });
    n.observe({ type: "compaction.started" });
    n.observe({ type: "compaction.completed" });
    await injections(1);
    // A repeated completion of the same compaction injects nothing; the next compaction injects its own note.
    n.observe({ type: "compaction.completed" });
    await clock.advance(1_000);
    n.observe({ type: "compaction.started" });
    n.observe({ type: "compaction.completed" });
    await injections(2);
    expect(injected.map((t) => /#(\d+)/.exec(t)?.[1])).toEqual(["0", "1000"]);
    for (const text of injected) expect(count(text, NOTE_HEADER)).toBe(1);
  });

  test("without an injecting provider a completed compaction injects nothing (the hook asks instead)", async () => {
    const { n } = notes();
    n.observe({ type: "compaction.started" });
    n.observe({ type: "compaction.completed" });
    // The note is still there for the hook.
    expect(await n.take()).toContain("RELAY");
  });

  test("a task lookup that fails or hangs still gives a note, bounded by the lookup timeout", async () => {
    const failing = notes({
      currentTask: async () => {
        throw new Error("relay down");
      },
    });
    expect(await failing.n.take()).toContain("You have no relay task in progress.");
    const hanging = notes({
      lookupTimeoutMs: 20,
      currentTask: (signal) =>
        new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
    });
    expect(await hanging.n.take()).toContain("RELAY");
  });
});

describe("currentTaskSource", () => {
  const signal = new AbortController().signal;

  test("the most recently held task, titled from the relay", async () => {
    const source = currentTaskSource(
      () => [{ taskId: 1 }, { taskId: 2 }],
      async (id) => ({ title: `task ${id}` }),
    );
    expect(await source(signal)).toEqual({ id: 2, title: "task 2" });
  });

  test("no held task: none; a relay that does not answer: the id alone", async () => {
    expect(
      await currentTaskSource(
        () => [],
        async () => ({ title: "x" }),
      )(signal),
    ).toBeUndefined();
    const noRelay = currentTaskSource(
      () => [{ taskId: 5 }],
      async () => {
        throw new Error("down");
      },
    );
    expect(await noRelay(signal)).toEqual({ id: 5 });
  });
});
