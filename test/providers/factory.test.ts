// The provider factory's environment knobs.
import { describe, expect, test } from "bun:test";
import { claudeMonitorArmed } from "../../src/providers/factory.ts";

describe("claudeMonitorArmed", () => {
  test("the relay monitor is armed unless AGENT_RELAY_CLAUDE_MONITOR switches it off", () => {
    expect(claudeMonitorArmed({})).toBe(true);
    expect(claudeMonitorArmed({ AGENT_RELAY_CLAUDE_MONITOR: "on" })).toBe(true);
    for (const off of ["off", "OFF", " 0 ", "false", "no"]) {
      expect(claudeMonitorArmed({ AGENT_RELAY_CLAUDE_MONITOR: off })).toBe(false);
    }
  });
});
