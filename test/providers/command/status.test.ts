import { describe, expect, test } from "bun:test";
import {
  ReadyDetector,
  screenForMatching,
  screenTail,
  TurnTracker,
  toStatelessPattern,
} from "../../../src/providers/command/status.ts";

const PROMPT = /ready> $/;

describe("ReadyDetector", () => {
  test("with a pattern, the program is ready exactly when the pattern matches the screen", () => {
    const d = new ReadyDetector({ quietMs: 100, readyPattern: PROMPT, startedAt: 0 });
    expect(d.observe("loading…\n\n", 10_000)).toBe(false);
    expect(d.observe("banner\nready> \n\n\n", 10_050)).toBe(true);
  });

  test("without a pattern, the program is ready once the screen has been still for the quiet period", () => {
    const d = new ReadyDetector({ quietMs: 500, startedAt: 0 });
    expect(d.observe("", 100)).toBe(false);
    expect(d.observe("banner", 300)).toBe(false);
    expect(d.observe("banner", 700)).toBe(false);
    expect(d.observe("banner\n$ ", 750)).toBe(false);
    expect(d.observe("banner\n$ ", 1_250)).toBe(true);
  });
});

describe("TurnTracker", () => {
  const quietMs = 300;
  const tracker = (readyPattern?: RegExp) =>
    new TurnTracker({ quietMs, readyPattern, pendingTimeoutMs: 1_000 });

  test("a delivery followed by changing output starts a turn that completes after a quiet period", () => {
    const t = tracker();
    t.delivered("ready> ", 0);
    expect(t.phase).toBe("pending");
    expect(t.observe("ready> ", 100)).toEqual([]);
    expect(t.observe("ready> hello\nworking… 1", 200)).toEqual(["turn.started"]);
    expect(t.phase).toBe("active");
    expect(t.observe("ready> hello\nworking… 2", 400)).toEqual([]);
    expect(t.observe("ready> hello\nworking… 2", 650)).toEqual([]);
    expect(t.observe("ready> hello\nworking… 2", 700)).toEqual(["turn.completed"]);
    expect(t.phase).toBe("idle");
  });

  test("a ready prompt ends the turn without waiting for the quiet period", () => {
    const t = tracker(PROMPT);
    t.delivered("ready> ", 0);
    expect(t.observe("got it\nworking…", 100)).toEqual(["turn.started"]);
    expect(t.observe("got it\nworking…\ndone\nready> \n\n", 150)).toEqual(["turn.completed"]);
  });

  test("a program that answers before the first poll gives a started and a completed turn at once", () => {
    const t = tracker(PROMPT);
    t.delivered("ready> ", 0);
    expect(t.observe("ready> \ngot it\ndone\nready> ", 100)).toEqual(["turn.started", "turn.completed"]);
  });

  test("a delivery the program never reacts to is dropped without a turn", () => {
    const t = tracker();
    t.delivered("same", 0);
    expect(t.observe("same", 999)).toEqual([]);
    expect(t.phase).toBe("pending");
    expect(t.observe("same", 1_000)).toEqual([]);
    expect(t.phase).toBe("idle");
  });

  test("a second delivery during a turn extends the same turn", () => {
    const t = tracker();
    t.delivered("a", 0);
    expect(t.observe("b", 100)).toEqual(["turn.started"]);
    t.delivered("b", 350);
    expect(t.observe("b", 500)).toEqual([]);
    expect(t.observe("b", 650)).toEqual(["turn.completed"]);
  });

  test("while idle, screen changes are not turns", () => {
    const t = tracker();
    expect(t.observe("someone typing", 10)).toEqual([]);
    expect(t.phase).toBe("idle");
  });

  test("reset forgets a turn in progress", () => {
    const t = tracker();
    t.delivered("a", 0);
    t.observe("b", 10);
    t.reset();
    expect(t.phase).toBe("idle");
    expect(t.observe("c", 2_000)).toEqual([]);
  });
});

describe("screen helpers", () => {
  test("matching sees the screen without trailing blank rows, keeping the prompt's trailing space", () => {
    expect(screenForMatching("a\nready> \n   \n\n")).toBe("a\nready> ");
    expect(screenTail("1\n2\n3\n\n\n4\n\n", 2)).toBe("3\n4");
  });

  test("a global pattern is made stateless so repeated tests give the same answer", () => {
    const p = toStatelessPattern(/ready/g);
    expect([p.test("ready"), p.test("ready"), p.test("ready")]).toEqual([true, true, true]);
    expect(toStatelessPattern("a+b").test("xaab")).toBe(true);
  });
});
