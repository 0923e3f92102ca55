// `task create --time-limit`, `task done|partial|fail` and `task show`'s outcome, through the real bin against a real relay.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RelayHttpClient } from "../../src/relay-client/http-client.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { runCli } from "./run-cli.ts";

setDefaultTimeout(25_000);

let t: TestRelay;
let root: RelayHttpClient;
let home: string;
let asBoss: Record<string, string>;
let asWorker: Record<string, string>;

beforeAll(async () => {
  t = await startTestRelay();
  root = new RelayHttpClient({ relayUrl: t.url, token: t.rootToken });
  home = mkdtempSync(join(tmpdir(), "cli-outcome-home-"));
  asBoss = { HOME: home, AGENT_RELAY_URL: t.url, AGENT_RELAY_TOKEN: await t.mintToken("cli-boss") };
  asWorker = { HOME: home, AGENT_RELAY_URL: t.url, AGENT_RELAY_TOKEN: await t.mintToken("cli-worker") };
  await (await t.openBus({ agentId: "cli-worker" })).close();
});
afterAll(async () => {
  await root.close();
  await t.close();
  rmSync(home, { recursive: true, force: true });
});

async function createTask(extra: string[] = []): Promise<number> {
  const r = await runCli(
    ["task", "create", "--title", "Tidy the docs", "--assignee", "cli-worker", ...extra],
    {
      env: asBoss,
    },
  );
  expect(r).toMatchObject({ code: 0, stderr: "" });
  return Number(r.stdout.trim());
}

describe("task outcome commands", () => {
  test("task create --time-limit 30m stores 1800 s; a bad duration is a one-line error naming the option", async () => {
    const id = await createTask(["--time-limit", "30m"]);
    expect((await root.getTask(id)).timeLimitSeconds).toBe(1800);
    const bad = await runCli(["task", "create", "--title", "x", "--time-limit", "8d"], { env: asBoss });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--time-limit");
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("task partial --summary --reason ends the task done with a partial outcome that task show prints", async () => {
    const id = await createTask();
    const r = await runCli(
      ["task", "partial", String(id), "--summary", "README done", "--reason", "the API page is left"],
      { env: asWorker },
    );
    expect(r).toMatchObject({ code: 0, stderr: "", stdout: `#${id} done (partial)\n` });
    const shown = await runCli(["task", "show", String(id)], { env: asBoss });
    expect(shown.stdout).toContain("Status: done");
    expect(shown.stdout).toMatch(/Outcome: partial \(the API page is left\) after \d+/);
    expect(shown.stdout).toContain("Summary: README done");
  });

  test("task fail ends it failed; task done on a task that already ended is refused", async () => {
    const id = await createTask();
    const failed = await runCli(["task", "fail", String(id), "--reason", "no access"], { env: asWorker });
    expect(failed.stdout).toBe(`#${id} failed (failed)\n`);
    const again = await runCli(["task", "done", String(id)], { env: asWorker });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("already ended");
    expect((await root.getTask(id)).outcome).toMatchObject({ status: "failed", reason: "no access" });
  });

  test("only the assignee may declare: the creator's task done is refused", async () => {
    const id = await createTask();
    const r = await runCli(["task", "done", String(id)], { env: asBoss });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("only it, an operator or root may end it with an outcome");
    expect((await root.getTask(id)).status).toBe("open");
  });
});
