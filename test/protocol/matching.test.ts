// Message addressing: which `to` values reach an agent, the same rule seen from both sides (runner and relay SQL).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type AgentAddress, matchesAgent, Target, targetsFor } from "../../src/protocol/index.ts";

const agent: AgentAddress = {
  agentId: "worker-1",
  label: "alpha",
  tags: ["command", "blue", "headless"],
  capabilities: ["review", "deploy"],
};
const to = (t: string, resolvedToAgent?: string) => ({ to: t, resolvedToAgent });

describe("matchesAgent", () => {
  test("direct, label, tag, capability and broadcast targets reach the agent", () => {
    for (const t of ["worker-1", "label:alpha", "tag:blue", "tag:command", "cap:review", "broadcast"])
      expect(matchesAgent(to(t), agent), t).toBe(true);
  });

  test("other agents, labels, tags and capabilities do not", () => {
    for (const t of [
      "worker-2",
      "label:beta",
      "tag:green",
      "cap:design",
      "label:worker-1",
      "tag:alpha",
      "cap:blue",
    ])
      expect(matchesAgent(to(t), agent), t).toBe(false);
  });

  test("prefix and case differences do not match: tag:blu, tag:Blue, Worker-1", () => {
    for (const t of ["tag:blu", "tag:Blue", "Worker-1", "worker-1x", "label:alph"])
      expect(matchesAgent(to(t), agent), t).toBe(false);
  });

  test("resolvedToAgent decides alone once the relay has resolved the target", () => {
    expect(matchesAgent(to("label:alpha", "worker-1"), agent)).toBe(true);
    // Resolved to another agent: even a broadcast-looking or own-id target is not ours.
    expect(matchesAgent(to("label:alpha", "worker-2"), agent)).toBe(false);
    expect(matchesAgent(to("worker-1", "worker-2"), agent)).toBe(false);
  });

  test("with broad targets off only the direct id and the label reach the agent", () => {
    const narrow = { ...agent, broadTargets: false };
    expect(matchesAgent(to("worker-1"), narrow)).toBe(true);
    expect(matchesAgent(to("label:alpha"), narrow)).toBe(true);
    for (const t of ["broadcast", "tag:blue", "cap:review"])
      expect(matchesAgent(to(t), narrow), t).toBe(false);
  });

  test("an agent without a label is not reached by any label target", () => {
    const bare = { agentId: "solo", tags: [], capabilities: [] };
    expect(matchesAgent(to("label:"), bare)).toBe(false);
    expect(matchesAgent(to("label:undefined"), bare)).toBe(false);
    expect(matchesAgent(to("solo"), bare)).toBe(true);
  });
});

describe("targetsFor", () => {
  test("lists exactly the targets matchesAgent accepts", () => {
    expect(targetsFor(agent).sort()).toEqual(
      [
        "worker-1",
        "label:alpha",
        "broadcast",
        "tag:command",
        "tag:blue",
        "tag:headless",
        "cap:review",
        "cap:deploy",
      ].sort(),
    );
    expect(targetsFor({ ...agent, broadTargets: false })).toEqual(["worker-1", "label:alpha"]);
  });

  test("for any agent and any target, matchesAgent agrees with membership in targetsFor", () => {
    const part = fc.stringMatching(/^[a-z0-9._-]{1,8}$/);
    const address = fc.record({
      agentId: part,
      label: fc.option(part, { nil: undefined }),
      tags: fc.array(part, { maxLength: 4 }),
      capabilities: fc.array(part, { maxLength: 4 }),
      broadTargets: fc.option(fc.boolean(), { nil: undefined }),
    });
    const target = fc.oneof(
      part,
      part.map((p) => `label:${p}`),
      part.map((p) => `tag:${p}`),
      part.map((p) => `cap:${p}`),
      fc.constant("broadcast"),
    );
    fc.assert(
      fc.property(address, target, (a, t) => matchesAgent(to(t), a) === targetsFor(a).includes(t)),
      { numRuns: 2_000 },
    );
  });
});

describe("Target", () => {
  test("accepts every documented form and refuses the rest", () => {
    for (const ok of ["worker-1", "label:alpha", "tag:a/b", "cap:x.y", "broadcast", "a@b:c"])
      expect(Target.safeParse(ok).success, ok).toBe(true);
    // ("tag:" alone is not refused: `:` is legal in an agent id, so it reads as the agent id "tag:".)
    for (const bad of ["", "has space", "tag:a b", "label:a\tb", "x".repeat(129), "new\nline", "cap:é"])
      expect(Target.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});
