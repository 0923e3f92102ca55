import { describe, expect, test } from "bun:test";
import { parsePaneStatus } from "../../../src/providers/tmux/pane-status.ts";

describe("parsePaneStatus", () => {
  test("a live pane reads as running with its pid", () => {
    expect(parsePaneStatus("1234 0 \n")).toEqual({ state: "running", pid: 1234 });
  });

  test("a dead pane reads with the exit status tmux reaped", () => {
    expect(parsePaneStatus("1234 1 3")).toEqual({ state: "dead", pid: 1234, exitCode: 3, signal: null });
  });

  test("an empty or malformed answer (a server shutting down) reads as gone", () => {
    for (const line of ["", "\n", " 1 ", "abc 0", "12 maybe"])
      expect(parsePaneStatus(line)).toEqual({ state: "gone" });
  });

  test("a dead pane without a status and without a zombie to read has neither code nor signal", () => {
    // pid 2^22+1 is above the default pid_max, so no such process exists.
    expect(parsePaneStatus("4194305 1 ")).toEqual({
      state: "dead",
      pid: 4194305,
      exitCode: null,
      signal: null,
    });
  });
});
