import { describe, expect, test } from "bun:test";
import { parseCommandAdapterOptions } from "../../../src/providers/command/options.ts";
import { isRunnerError } from "../../../src/util/errors.ts";

describe("command provider options", () => {
  const base = { command: ["bash"], tmuxSocket: "relay-x", tmuxSession: "agent" };

  test("defaults are filled in and the result is frozen", () => {
    const o = parseCommandAdapterOptions(base);
    expect(o.quietMs).toBe(1_500);
    expect(o.pendingTimeoutMs).toBe(3_000);
    expect(Object.isFrozen(o)).toBe(true);
  });

  test("a bad option is refused with its name and the rule", () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ command: [] }, /option command: expected a program/],
      [{ tmuxSession: "a:b" }, /option tmuxSession: expected 1-128/],
      [{ quietMs: 5 }, /option quietMs/],
      [{ readyPattern: "(" }, /option readyPattern/],
    ];
    for (const [over, message] of cases) {
      let error: unknown;
      try {
        parseCommandAdapterOptions({ ...base, ...over } as typeof base);
      } catch (e) {
        error = e;
      }
      expect(isRunnerError(error, "CONFIG_INVALID")).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });
});
