// Approval modes against the real app-server: file-change approvals in read-only, abort, and none asked in full.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ApprovalMode } from "../../../src/providers/codex/index.ts";
import {
  type FakeResponsesApi,
  patch,
  shell,
  startFakeResponsesApi,
} from "../../support/fake-responses-api.ts";
import { FAKE_KEY_ENV, processesWithCodexHome, RecordingAdapter, relayMessage, tempDir } from "./harness.ts";

setDefaultTimeout(30_000);

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function startAgent(approvalMode: ApprovalMode) {
  const fake: FakeResponsesApi = await startFakeResponsesApi();
  const dir = await tempDir(`codex-${approvalMode}`);
  const work = join(dir.path, "work");
  const home = join(dir.path, "home");
  await Bun.$`mkdir -p ${work} ${dir.path}/user`;
  const agent = new RecordingAdapter(
    {
      codexHome: home,
      approvalMode,
      modelProvider: { baseUrl: fake.baseUrl, envKey: FAKE_KEY_ENV, maxRetries: 0 },
    },
    join(dir.path, "user"),
  );
  cleanups.push(fake.stop, dir.remove, () => agent.adapter.shutdown({ graceful: false, timeoutMs: 2_000 }));
  await agent.adapter.spawn(agent.spawnContext(work));
  return { fake, agent, work, home };
}

describe("codex approval modes", () => {
  test("read-only: a patch asks for approval with its diff, and approve applies it", async () => {
    const { fake, agent, work } = await startAgent("read-only");
    const file = join(work, "patched.txt");
    fake.script("PATCH-1", [patch(file, "hello from the fake model")]);
    const requested = agent.next("permission.requested");
    const completed = agent.next("turn.completed");
    await agent.adapter.deliver([relayMessage(1, "PATCH-1 add a file")], AbortSignal.timeout(10_000));
    const { request } = await requested;
    expect(request.tool).toBe("apply_patch");
    expect(request.detail).toContain(file);
    expect(request.detail).toContain("hello from the fake model");
    expect(await agent.adapter.respondToPermissionDecision(request.approvalId, "approve")).toBe(true);
    await completed;
    expect(await Bun.file(file).text()).toContain("hello from the fake model");
  });

  test("abort cancels the command and ends the turn without running it", async () => {
    const { fake, agent, work } = await startAgent("default");
    const target = join(work, "aborted.txt");
    fake.script("ABORT-2", [shell(`touch ${target}`, { escalate: true })]);
    const requested = agent.next("permission.requested");
    const completed = agent.next("turn.completed");
    await agent.adapter.deliver([relayMessage(2, "ABORT-2 try")], AbortSignal.timeout(10_000));
    const { request } = await requested;
    expect(await agent.adapter.respondToPermissionDecision(request.approvalId, "abort")).toBe(true);
    await completed;
    expect(existsSync(target)).toBe(false);
    expect(agent.adapter.isBusy).toBe(false);
  });

  test("full: commands run unasked, and an escalation request is refused by Codex itself, not sent to the relay", async () => {
    const { fake, agent, work, home } = await startAgent("full");
    const target = join(work, "full.txt");
    fake.script("FULL-3", [shell(`touch ${target}`), shell(`touch ${target}.escalated`, { escalate: true })]);
    const completed = agent.next("turn.completed");
    await agent.adapter.deliver([relayMessage(3, "FULL-3 go")], AbortSignal.timeout(10_000));
    await completed;
    expect(existsSync(target)).toBe(true);
    expect(existsSync(`${target}.escalated`)).toBe(false);
    expect(JSON.stringify(fake.requestsFor("FULL-3").at(-1)?.body.input?.at(-1))).toContain(
      "approval policy is Never",
    );
    expect(agent.ofType("permission.requested")).toHaveLength(0);
    await agent.adapter.shutdown({ graceful: true, timeoutMs: 5_000 });
    expect(await processesWithCodexHome(home)).toEqual([]);
  });
});
