// The tmux socket of an agent: derived from its id alone, the same every time, never shared by two ids.
import { expect, test } from "bun:test";
import { agentTmuxSocket, tmuxSocketPath } from "../../../src/providers/tmux/socket-name.ts";
import { tmuxSocketFor } from "../../../src/supervisor/runner-slot.ts";

test("an id tmux can use as it is names the socket plainly, and the same id always gives the same name", () => {
  expect(agentTmuxSocket("alpha")).toBe("agent-relay-alpha");
  expect(agentTmuxSocket("worker_2-b")).toBe(agentTmuxSocket("worker_2-b"));
  // The supervisor cleans up after a killed runner with the very same rule.
  expect(tmuxSocketFor("team.lead")).toBe(agentTmuxSocket("team.lead"));
});

test("ids that differ only where tmux names cannot (. : @) or past 40 characters get different sockets", () => {
  const names = ["a.b", "a_b", "a:b", "a@b", `${"x".repeat(40)}1`, `${"x".repeat(40)}2`].map(agentTmuxSocket);
  expect(new Set(names).size).toBe(names.length);
  for (const name of names) expect(name).toMatch(/^agent-relay-[A-Za-z0-9_-]{1,40}(-[0-9a-f]{8})?$/);
  expect(agentTmuxSocket("a.b")).toMatch(/^agent-relay-a_b-[0-9a-f]{8}$/);
});

test("the socket's path fits a Unix socket address even for the longest id", () => {
  const id = "z".repeat(128);
  expect(tmuxSocketPath(agentTmuxSocket(id), { TMUX_TMPDIR: "/tmp" }).length).toBeLessThan(104);
});
