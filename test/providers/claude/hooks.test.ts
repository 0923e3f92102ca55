// Claude Code hook payloads (shapes from the brief's verified samples) through the adapter's one reducer.
import { describe, expect, test } from "bun:test";
import { ClaudeHookPayload } from "../../../src/control/index.ts";
import {
  applyHook,
  type HookState,
  HookWaiters,
  type TurnState,
} from "../../../src/providers/claude/hooks.ts";
import { isRunnerError } from "../../../src/util/errors.ts";
import { ManualClock } from "../../support/manual-clock.ts";

const base = { session_id: "native-S", cwd: "/work/w22", prompt_id: "P1" };
const parse = (raw: Record<string, unknown>) => ClaudeHookPayload.parse({ ...base, ...raw });
const start = (turn: TurnState = "busy"): HookState => ({
  conversation: { claudeSessionId: "native-S" },
  turn,
});
const apply = (raw: Record<string, unknown>, state = start()) => applyHook(state, parse(raw));
const translate = (raw: Record<string, unknown>, state = start()) => apply(raw, state).events;

describe("applyHook: the events each hook means", () => {
  test("UserPromptSubmit starts a turn keyed by prompt_id", () => {
    expect(translate({ hook_event_name: "UserPromptSubmit", prompt: "hello" })).toEqual([
      { type: "turn.started", turnId: "P1" },
    ]);
  });

  test("UserPromptSubmit hands its prompt to the delivery confirmer, the one confirmation source", () => {
    const prompt = "<event>[relay message #42 from alice] hi</event>";
    const r = apply({ hook_event_name: "UserPromptSubmit", prompt }, start("idle"));
    expect(r.seen).toBe(prompt);
    expect(r.events).toEqual([{ type: "turn.started", turnId: "P1" }]);
    expect(r.state.turn).toBe("busy");
    expect(apply({ hook_event_name: "Stop" }).seen).toBeUndefined();
  });

  test("PreToolUse is busy evidence for the same turn", () => {
    expect(
      translate({ hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command: "ls" } }),
    ).toEqual([{ type: "turn.started", turnId: "P1" }]);
  });

  test("PostToolUse and PostToolUseFailure resolve any pending input", () => {
    for (const name of ["PostToolUse", "PostToolUseFailure"]) {
      expect(translate({ hook_event_name: name, tool_name: "Bash" })).toEqual([{ type: "input.resolved" }]);
    }
  });

  test("Stop completes the turn", () => {
    expect(
      translate({ hook_event_name: "Stop", stop_hook_active: false, last_assistant_message: "PONG" }),
    ).toEqual([{ type: "turn.completed", turnId: "P1" }]);
  });

  test("StopFailure fails the turn with the error category and the last message as the reason", () => {
    expect(
      translate({
        hook_event_name: "StopFailure",
        error: "rate_limit",
        last_assistant_message: "API Error: 429 slow down",
      }),
    ).toEqual([
      {
        type: "turn.failed",
        turnId: "P1",
        reason: "rate_limit: API Error: 429 slow down",
      },
    ]);
    expect(translate({ hook_event_name: "StopFailure" })).toEqual([
      { type: "turn.failed", turnId: "P1", reason: "unknown" },
    ]);
  });

  test("SubagentStart and SubagentStop track the subagent by agent_id with agent_type as label", () => {
    expect(
      translate({ hook_event_name: "SubagentStart", agent_id: "a47a", agent_type: "general-purpose" }),
    ).toEqual([{ type: "subagent.started", subagentId: "a47a", label: "general-purpose" }]);
    expect(
      translate({ hook_event_name: "SubagentStop", agent_id: "a47a", agent_type: "general-purpose" }),
    ).toEqual([{ type: "subagent.stopped", subagentId: "a47a" }]);
  });

  test("a SubagentStop without agent_id (compaction's summariser) yields nothing", () => {
    expect(translate({ hook_event_name: "SubagentStop", agent_type: "" })).toEqual([]);
  });

  test("PreCompact and PostCompact bracket a compaction", () => {
    expect(translate({ hook_event_name: "PreCompact", trigger: "manual" })).toEqual([
      { type: "compaction.started" },
    ]);
    expect(translate({ hook_event_name: "PostCompact", compact_summary: "…" })).toEqual([
      { type: "compaction.completed" },
    ]);
  });

  test("SessionEnd ends the session with Claude's reason", () => {
    expect(translate({ hook_event_name: "SessionEnd", reason: "prompt_input_exit" })).toEqual([
      { type: "session.ended", reason: "prompt_input_exit" },
    ]);
    expect(translate({ hook_event_name: "SessionEnd" })).toEqual([
      { type: "session.ended", reason: "unknown" },
    ]);
  });

  test("a permission_prompt Notification means the agent needs input", () => {
    expect(
      translate({
        hook_event_name: "Notification",
        message: "Claude needs your permission",
        notification_type: "permission_prompt",
      }),
    ).toEqual([{ type: "needs-input", reason: "Claude needs your permission" }]);
  });

  test("an idle_prompt Notification is plain idleness and yields nothing", () => {
    expect(
      translate({
        hook_event_name: "Notification",
        message: "Claude is waiting",
        notification_type: "idle_prompt",
      }),
    ).toEqual([]);
  });

  test("an elicitation_complete Notification resolves the input", () => {
    expect(translate({ hook_event_name: "Notification", notification_type: "elicitation_complete" })).toEqual(
      [{ type: "input.resolved" }],
    );
  });

  test("PermissionRequest (the broker's) and unknown events yield no events; a SessionStart of the same session neither", () => {
    for (const name of ["SessionStart", "PermissionRequest", "MessageDisplay", "SomethingNew"]) {
      expect(translate({ hook_event_name: name, source: "startup" })).toEqual([]);
    }
  });

  test("event-specific fields of the wrong type read as absent instead of failing the payload", () => {
    const payload = parse({ hook_event_name: "SessionEnd", reason: 42, prompt_id: { x: 1 } });
    expect(payload.reason).toBeUndefined();
    expect(applyHook(start(), payload).events).toEqual([{ type: "session.ended", reason: "unknown" }]);
  });

  test("a payload without session_id or hook_event_name is rejected", () => {
    expect(ClaudeHookPayload.safeParse({ hook_event_name: "Stop" }).success).toBe(false);
    expect(ClaudeHookPayload.safeParse({ session_id: "S" }).success).toBe(false);
  });
});

describe("applyHook: the state hooks leave behind", () => {
  test("SessionStart opens the ready gate, records transcript and model, and keeps the same session quiet", () => {
    const r = apply(
      {
        hook_event_name: "SessionStart",
        source: "startup",
        transcript_path: "/t/S.jsonl",
        model: "opus[1m]",
      },
      start("launching"),
    );
    expect(r.state).toEqual({
      conversation: { claudeSessionId: "native-S", transcriptPath: "/t/S.jsonl", model: "opus[1m]" },
      turn: "idle",
    });
    expect(r.events).toEqual([]);
  });

  test("a SessionStart of another Claude session (/clear, a fresh start) is session.changed", () => {
    const r = apply({ hook_event_name: "SessionStart", source: "clear", session_id: "new-S" }, start("idle"));
    expect(r.events).toEqual([{ type: "session.changed", nativeSessionId: "new-S" }]);
    expect(r.state.conversation.claudeSessionId).toBe("new-S");
    expect(r.state.turn).toBe("idle");
  });

  test("a permission dialog is open from PermissionRequest until the tool ran or the turn ended", () => {
    const asked = apply({ hook_event_name: "PermissionRequest", tool_name: "Bash" }, start("busy"));
    expect(asked.state.turn).toBe("asking");
    // More hooks of the same turn do not close the dialog.
    expect(apply({ hook_event_name: "PreToolUse" }, asked.state).state.turn).toBe("asking");
    expect(apply({ hook_event_name: "PostToolUse" }, asked.state).state.turn).toBe("busy");
    expect(apply({ hook_event_name: "Stop" }, asked.state).state.turn).toBe("idle");
    expect(apply({ hook_event_name: "StopFailure" }, asked.state).state.turn).toBe("idle");
  });

  test("the input state is never mutated: the reducer is pure", () => {
    const before = start("launching");
    const copy = structuredClone(before);
    apply({ hook_event_name: "SessionStart", session_id: "other", transcript_path: "/t/x.jsonl" }, before);
    expect(before).toEqual(copy);
  });

  test("transcript_path of the wrong type reads as absent and keeps the known transcript", () => {
    const state: HookState = { conversation: { transcriptPath: "/t/old.jsonl" }, turn: "idle" };
    const r = apply({ hook_event_name: "Stop", transcript_path: 42 }, state);
    expect(r.state.conversation.transcriptPath).toBe("/t/old.jsonl");
  });
});

describe("HookWaiters", () => {
  test("resolves at the first matching hook and ignores others", async () => {
    const waiters = new HookWaiters(new ManualClock());
    let done = false;
    const p = waiters
      .waitFor((h) => h.hook_event_name === "PostCompact", 1_000, new AbortController().signal)
      .then(() => {
        done = true;
      });
    waiters.notify(parse({ hook_event_name: "PreCompact" }));
    await Promise.resolve();
    expect(done).toBe(false);
    waiters.notify(parse({ hook_event_name: "PostCompact" }));
    await p;
    expect(done).toBe(true);
  });

  test("rejects with TIMEOUT at the deadline and with ABORTED on abort", async () => {
    const clock = new ManualClock();
    const waiters = new HookWaiters(clock);
    const timedOut = waiters.waitFor(() => true, 1_000, new AbortController().signal).catch((e) => e);
    await clock.advance(1_000);
    expect(isRunnerError(await timedOut, "TIMEOUT")).toBe(true);
    const abort = new AbortController();
    const aborted = waiters.waitFor(() => true, 1_000, abort.signal).catch((e) => e);
    abort.abort();
    expect(isRunnerError(await aborted, "ABORTED")).toBe(true);
    // Settled waiters are gone: a later hook reaches no one.
    waiters.notify(parse({ hook_event_name: "Stop" }));
  });
});
