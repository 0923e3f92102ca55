// AGENT_RELAY_CLAUDE_MONITOR, read through the option table like every other env twin (it was read by the factory).
import { describe, expect, test } from "bun:test";
import { parseRunnerConfig } from "../../src/config/index.ts";

const deps = { hostname: () => "box", randomId: () => "abc123" };
const monitor = (env: Record<string, string>) =>
  parseRunnerConfig(["--provider", "claude"], env, deps).claudeMonitor;

describe("claudeMonitor", () => {
  test("the relay monitor is armed unless AGENT_RELAY_CLAUDE_MONITOR switches it off", () => {
    expect(monitor({})).toBe(true);
    expect(monitor({ AGENT_RELAY_CLAUDE_MONITOR: "on" })).toBe(true);
    for (const off of ["off", "OFF", " 0 ", "false", "no"]) {
      expect(monitor({ AGENT_RELAY_CLAUDE_MONITOR: off })).toBe(false);
    }
  });
});
