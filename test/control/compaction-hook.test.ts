// Claude's SessionStart hook after a compaction gets the runner's note back as additionalContext; every other
// SessionStart (and a runner with no note due) stays a silent 204.
import { afterEach, describe, expect, test } from "bun:test";
import { type Harness, startServer } from "./support.ts";

let h: Harness;
afterEach(async () => {
  await h?.server.stop();
});

const sessionStart = (source: string) => ({ session_id: "S", hook_event_name: "SessionStart", source });

describe("POST /v1/hooks/SessionStart after a compaction", () => {
  test("source compact answers the note as SessionStart additionalContext", async () => {
    h = startServer();
    const asked: string[] = [];
    h.server.setCompactionNote(async () => {
      asked.push("note");
      return "NOTE TEXT";
    });
    const res = await h.post("/v1/hooks/SessionStart", sessionStart("compact"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      hookSpecificOutput: { hookEventName: "SessionStart", additionalContext: "NOTE TEXT" },
    });
    expect(asked).toEqual(["note"]);
    // The hook still reaches the adapter like any other.
    expect(h.controlEvents.some((e) => e.type === "hook.received")).toBe(true);
  });

  test("startup, resume and clear never ask for a note and answer nothing", async () => {
    h = startServer();
    let asked = 0;
    h.server.setCompactionNote(async () => {
      asked++;
      return "NOTE TEXT";
    });
    for (const source of ["startup", "resume", "clear"]) {
      const res = await h.post("/v1/hooks/SessionStart", sessionStart(source));
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");
    }
    expect(asked).toBe(0);
  });

  test("no note due (already given) or no note source: a silent 204", async () => {
    h = startServer();
    const none = await h.post("/v1/hooks/SessionStart", sessionStart("compact"));
    expect(none.status).toBe(204);
    h.server.setCompactionNote(async () => undefined);
    const given = await h.post("/v1/hooks/SessionStart", sessionStart("compact"));
    expect(given.status).toBe(204);
    expect(await given.text()).toBe("");
  });
});
