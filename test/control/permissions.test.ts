// Permission requests over real HTTP: the long-poll waits for the runner's decision, a deadline, a disconnect, or stop.
import { afterEach, describe, expect, test } from "bun:test";
import { TIMEOUT_REASON } from "../../src/control/index.ts";
import type { ProviderEvent } from "../../src/providers/adapter.ts";
import { waitFor, waitForEvent } from "../support/wait-for.ts";
import { type Harness, jsonOf, startServer } from "./support.ts";

let h: Harness;
afterEach(async () => {
  await h?.server.stop();
});

const ask = { providerSessionId: "spawn-1", tool: "Bash", detail: "git push --force" };

/** Wait for the next permission.requested event and return its approval id. */
async function nextApproval(harness: Harness): Promise<string> {
  const e = await waitForEvent<ProviderEvent>(
    (l) => harness.server.onProviderEvent(l),
    (ev) => ev.type === "permission.requested",
    { what: "permission.requested" },
  );
  return e.type === "permission.requested" ? e.request.approvalId : "";
}

describe("POST /v1/permissions", () => {
  for (const decision of ["approve", "approve-session", "deny", "abort"] as const) {
    test(`a waiting request is answered with ${decision} when the runner resolves it`, async () => {
      h = startServer();
      const approval = nextApproval(h);
      const res = h.post("/v1/permissions", { ...ask, metadata: { cwd: "/w" } });
      const approvalId = await approval;
      expect(h.server.pendingPermissions()).toMatchObject([
        { approvalId, tool: "Bash", detail: "git push --force" },
      ]);
      expect(h.server.resolvePermission(approvalId, decision, "because")).toBe(true);
      const answer = await res;
      expect(answer.status).toBe(200);
      expect(await jsonOf(answer)).toEqual({ approvalId, decision, reason: "because" });
      expect(h.server.pendingPermissions()).toEqual([]);
      expect(h.providerEvents.map((e) => e.type)).toEqual(["permission.requested", "permission.resolved"]);
    });
  }

  test("resolvePermission returns false for an unknown id", () => {
    h = startServer();
    expect(h.server.resolvePermission("no-such-id", "approve")).toBe(false);
  });

  test("a request nobody answers is denied with a reason after its timeout", async () => {
    h = startServer();
    const res = await h.post("/v1/permissions", { ...ask, timeoutMs: 150 });
    const body = await jsonOf(res);
    expect(body).toMatchObject({ decision: "deny", reason: TIMEOUT_REASON });
    expect(h.server.resolvePermission(body.approvalId, "approve")).toBe(false);
  });

  test("a timeout above 30 minutes is refused with 400 naming timeoutMs", async () => {
    h = startServer();
    const res = await h.post("/v1/permissions", { ...ask, timeoutMs: 31 * 60_000 });
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error.message).toContain("body.timeoutMs");
    expect(h.providerEvents).toEqual([]);
  });

  test("a client that disconnects drops its request and permission.resolved is emitted", async () => {
    h = startServer();
    const approval = nextApproval(h);
    const ac = new AbortController();
    const res = h.post("/v1/permissions", ask, { signal: ac.signal }).catch(() => "aborted");
    const approvalId = await approval;
    ac.abort();
    expect(await res).toBe("aborted");
    await waitFor(() => h.server.pendingPermissions().length === 0, {
      what: "the pending request to be dropped",
    });
    expect(h.providerEvents.at(-1)).toEqual({
      type: "permission.resolved",
      providerSessionId: "spawn-1",
      approvalId,
    });
    expect(h.server.resolvePermission(approvalId, "approve")).toBe(false);
  });

  test("stop() answers every waiting request with abort", async () => {
    h = startServer();
    const approval = nextApproval(h);
    const res = h.post("/v1/permissions", ask);
    await approval;
    await h.server.stop();
    expect(await jsonOf(res)).toMatchObject({ decision: "abort", reason: "runner stopping" });
  });
});

describe("POST /v1/hooks/PermissionRequest", () => {
  const payload = {
    session_id: "native",
    hook_event_name: "PermissionRequest",
    tool_name: "Bash",
    tool_input: { command: "touch x" },
    permission_suggestions: [{ type: "setMode", mode: "acceptEdits", destination: "session" }],
  };

  test("the hook waits for the decision and gets Claude's hook output JSON", async () => {
    h = startServer();
    const approval = nextApproval(h);
    const res = h.post("/v1/hooks/PermissionRequest", payload, {
      headers: { "x-agent-relay-provider-session": "spawn-2" },
    });
    const approvalId = await approval;
    expect(h.server.pendingPermissions()).toMatchObject([
      { approvalId, providerSessionId: "spawn-2", tool: "Bash", detail: "touch x" },
    ]);
    h.server.resolvePermission(approvalId, "approve-session");
    expect(await jsonOf(res)).toEqual({
      hookSpecificOutput: {
        hookEventName: "PermissionRequest",
        decision: { behavior: "allow", updatedPermissions: payload.permission_suggestions },
      },
    });
  });

  test("an unanswered hook request denies with the timeout reason (timeout from the query)", async () => {
    h = startServer();
    const res = await h.post("/v1/hooks/PermissionRequest?timeoutMs=150", payload);
    expect(await jsonOf(res)).toEqual({
      hookSpecificOutput: {
        hookEventName: "PermissionRequest",
        decision: { behavior: "deny", message: `Denied on the agent relay. Reason: ${TIMEOUT_REASON}` },
      },
    });
  });

  test("an invalid timeoutMs query is 400", async () => {
    h = startServer();
    const res = await h.post("/v1/hooks/PermissionRequest?timeoutMs=soon", payload);
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error.message).toContain("query.timeoutMs");
  });
});
