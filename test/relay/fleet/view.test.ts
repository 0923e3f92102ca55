// The fleet view in a real browser (Chromium via puppeteer-core) against the real relay and a real runner: sign in,
// agents appear live, a permission request is answered with Approve / Deny, a receipt moves on screen, and signed
// out nothing is readable.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "puppeteer-core";
import { OPERATOR_PROFILE } from "../../../src/protocol/index.ts";
import { launchBrowser } from "../../support/browser.ts";
import { startTestRelay, type TestRelay } from "../../support/relay.ts";
import { startTestRunner, stopTestRunners, type TestRunner } from "../../support/runner.ts";
import { waitFor } from "../../support/wait-for.ts";

setDefaultTimeout(45_000);

let t: TestRelay;
let ui: string;
let browser: Browser;
let operator: string;
beforeAll(async () => {
  t = await startTestRelay({ uiPort: 0 });
  ui = t.relay.uiUrl!;
  operator = await t.mintToken("alice", OPERATOR_PROFILE);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stopTestRunners();
  await t?.close();
});

const text = (page: Page, selector: string) =>
  page.$eval(selector, (e) => e.textContent ?? "").catch(() => undefined);

/** A page in its own browser context (its own cookies), signed in with `token`. */
async function signedInPage(token = operator): Promise<Page> {
  const page = await (await browser.createBrowserContext()).newPage();
  await page.goto(ui);
  await page.type("#token", token);
  await Promise.all([page.waitForNavigation(), page.click("#signin")]);
  await waitFor(async () => (await text(page, "#live")) === "live", { what: "the page's live stream" });
  return page;
}

function askPermission(r: TestRunner, detail: string): Promise<Response> {
  const env = r.runner.control.childEnv(r.runner.supervisor.providerSessionId!);
  return fetch(`${r.runner.control.url}/v1/permissions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${env.AGENT_RELAY_CONTROL_SECRET}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({
      providerSessionId: r.runner.supervisor.providerSessionId,
      tool: "Bash",
      detail,
      timeoutMs: 30_000,
    }),
  });
}

describe("fleet view", () => {
  test("signed in, an agent appears as soon as it registers and its status follows", async () => {
    const page = await signedInPage();
    expect(await text(page, ".who b")).toBe("alice");
    const bus = await t.openBus({ agentId: "fv-arrives", label: "newcomer" });
    const row = '[data-agent="fv-arrives"]';
    await page.waitForSelector(row, { timeout: 10_000 });
    expect(await text(page, `${row} td:nth-child(2)`)).toBe("newcomer");
    bus.send({ type: "status", agentStatus: "busy", semanticStatus: "busy", ready: true });
    await page.waitForSelector(`${row} [data-status="busy"]`, { timeout: 10_000 });
    await bus.close();
    await page.close();
  });

  test("an agent's tokens, cost against its budget and context use show as its meta says; a spent budget shows why", async () => {
    const page = await signedInPage();
    const bus = await t.openBus({ agentId: "fv-spend" });
    const row = '[data-agent="fv-spend"]';
    await page.waitForSelector(row, { timeout: 10_000 });
    bus.send({
      type: "status",
      agentStatus: "busy",
      semanticStatus: "needs-input",
      ready: true,
      meta: {
        conditionReason: "budget",
        model: "opus-9",
        restarts: 2,
        usage: { inputTokens: 1300, outputTokens: 40, costUsd: 0.003, maxCostUsd: 0.002 },
        contextUsage: { usedTokens: 50_000, maxTokens: 200_000 },
        timeline: [{ event: "budget-reached", at: Date.now() }],
      },
    });
    await page.waitForSelector(`${row} [data-status="needs-input"]`, { timeout: 10_000 });
    expect(await text(page, `${row} [data-tokens]`)).toBe("1300 in / 40 out");
    expect(await text(page, `${row} [data-cost]`)).toBe("$0.0030 of $0.0020");
    expect(await text(page, `${row} td:nth-child(7)`)).toBe("25%");
    expect(await text(page, `${row} td:nth-child(4)`)).toBe("opus-9");
    expect(await text(page, `${row} td:nth-child(10)`)).toBe("2");
    expect(await text(page, `${row} [data-status]`)).toBe("needs-input: budget");
    // The agent's page: its timeline since the page opened, newest first.
    await page.click(row);
    const timeline = await waitFor(
      async () => {
        const t = await text(page, "#agent-timeline");
        return t?.includes("budget-reached") && t;
      },
      { what: "the agent's timeline" },
    );
    expect(timeline.indexOf("budget-reached")).toBeLessThan(timeline.indexOf("needs-input: budget"));
    expect(timeline).toContain("idle");
    await bus.close();
    await page.close();
  });

  test("tasks show on a board and move lanes as they change, with their outcomes", async () => {
    const page = await signedInPage();
    const boss = await t.mintToken("fv-boss");
    const worker = await t.mintToken("fv-worker");
    const created = await t.call(boss, "POST", "/v1/tasks", {
      title: "port the parser",
      assignee: "fv-worker",
    });
    expect(created.status).toBe(200);
    const id = created.body.id as number;
    const card = `[data-task="${id}"]`;
    await page.waitForSelector(`[data-lane="open"] ${card}`, { timeout: 10_000 });
    expect(await text(page, `${card} b`)).toBe(`#${id} port the parser`);
    const started = await t.call(worker, "POST", `/v1/tasks/${id}/status`, {
      agentId: "fv-worker",
      status: "in_progress",
    });
    expect(started.status).toBe(200);
    await page.waitForSelector(`[data-lane="in_progress"] ${card}`, { timeout: 10_000 });
    const failed = await t.call(worker, "POST", `/v1/tasks/${id}/status`, {
      agentId: "fv-worker",
      status: "failed",
      outcome: { status: "failed", reason: "tests red", durationMs: 61_000, usage: { costUsd: 0.25 } },
    });
    expect(failed.status).toBe(200);
    await page.waitForSelector(`[data-lane="failed"] ${card}`, { timeout: 10_000 });
    expect(await text(page, `[data-outcome="${id}"]`)).toBe("failed (tests red) after 61s, $0.2500");
    // A page opened now gets the board in its first screen.
    const later = await signedInPage();
    await later.waitForSelector(`[data-lane="failed"] ${card}`, { timeout: 10_000 });
    await later.close();
    await page.close();
  });

  test("a command agent's permission request shows its command; Approve lets it run, Deny refuses it", async () => {
    const r = await startTestRunner({ relay: t, agentId: "fv-perm" });
    const page = await signedInPage();
    await page.waitForSelector('[data-agent="fv-perm"]');
    await page.click('[data-agent="fv-perm"]');
    for (const [decision, command] of [
      ["approve", "make deploy"],
      ["deny", "rm -rf build/"],
    ] as const) {
      const asking = askPermission(r, command);
      const box = await page.waitForSelector(".permission", { timeout: 10_000 });
      expect(await box!.$eval("pre", (e) => e.textContent)).toBe(command);
      await (await box!.$(`button[data-decision="${decision}"]`))!.click();
      const answer = (await (await asking).json()) as { decision: string };
      expect(answer.decision).toBe(decision);
      await waitFor(async () => (await page.$(".permission")) === null, {
        what: "the request to leave the page",
      });
    }
    await page.close();
  });

  test("a message sent from the agent's page shows its receipt moving to delivered, then seen (mid-turn)", async () => {
    await startTestRunner({ relay: t, agentId: "fv-recv" });
    const page = await signedInPage();
    await page.waitForSelector('[data-agent="fv-recv"]');
    await page.click('[data-agent="fv-recv"]');
    await page.type("#send-body", "hello from the fleet view");
    await page.click("#send-form button");
    const result = await waitFor(
      async () => /message #(\d+) sent/.exec((await text(page, "#action-result")) ?? "")?.[1],
      { what: "the sent message's id" },
    );
    const id = Number(result);
    const sent = (await t.call(t.rootToken, "GET", `/v1/messages/${id}`)).body;
    expect(sent).toMatchObject({ from: "alice", to: "fv-recv", body: "hello from the fleet view" });
    const receipt = `#threads [data-receipt="${id}:fv-recv"]`;
    await waitFor(async () => (await text(page, receipt)) === "fv-recv: delivered", {
      timeoutMs: 15_000,
      what: "the delivered receipt on screen",
    });
    // Seen inside a running turn: the page says so.
    const seen = { receipts: [{ messageId: id, state: "seen", midTurn: true }] };
    await t.call(await t.mintToken("fv-recv"), "POST", "/v1/agents/fv-recv/receipts", seen);
    await waitFor(async () => (await text(page, receipt)) === "fv-recv: seen (mid-turn)", {
      what: "the mid-turn receipt on screen",
    });
    await page.close();
  });

  test("a team agent's runner is stopped or restarted through the supervisor; without a team the page says why", async () => {
    const bus = await t.openBus({ agentId: "fv-team" });
    const page = await signedInPage(t.rootToken);
    await page.waitForSelector('[data-agent="fv-team"]');
    await page.click('[data-agent="fv-team"]');
    await page.click('[data-team="supervisor.restart"]');
    await waitFor(async () => (await text(page, "#action-result"))?.includes("no supervisor is connected"), {
      what: "the relay's refusal on the page",
    });
    const supervisor = await t.openBus({ agentId: "fv-supervisor", role: "supervisor", token: t.rootToken });
    await page.click('[data-team="supervisor.stop"]');
    const frame = await supervisor.waitForFrame((f) => f.type === "command");
    expect((frame as unknown as { command: object }).command).toMatchObject({
      type: "supervisor.stop",
      target: "supervisor",
      from: "root",
      fromRole: "root",
      params: { agentId: "fv-team" },
    });
    // An operator's click reaches the supervisor as an operator's (which lets it stop and restart team agents).
    const person = await signedInPage();
    await person.waitForSelector('[data-agent="fv-team"]');
    await person.click('[data-agent="fv-team"]');
    await person.click('[data-team="supervisor.restart"]');
    const second = await supervisor.waitForFrame(
      (f) =>
        f.type === "command" &&
        (f as unknown as { command: { type: string } }).command.type === "supervisor.restart",
    );
    expect((second as unknown as { command: object }).command).toMatchObject({
      from: "alice",
      fromRole: "operator",
    });
    await person.close();
    await supervisor.close();
    await bus.close();
    await page.close();
  });

  test("signed out, nothing is readable; an agent's token cannot sign in; other hosts and sites are refused", async () => {
    const page = await signedInPage();
    await Promise.all([page.waitForNavigation(), page.click("#signout")]);
    expect(await page.$("#token")).not.toBeNull();
    expect(await page.content()).not.toContain("fv-");
    // The cookie is gone: the stream and the script answer 401.
    for (const path of ["/api/stream", "/app.js", "/board.js", "/timeline.js", "/app.css"]) {
      const status = await page.evaluate(async (p) => (await fetch(p)).status, path);
      expect(status).toBe(401);
    }
    const agentToken = await t.mintToken("fv-sneaky");
    await page.type("#token", agentToken);
    await Promise.all([page.waitForNavigation(), page.click("#signin")]);
    expect(await text(page, "#signin-error")).toContain("an agent's token cannot sign in");
    await page.close();
    // Without the browser: a rebinding host name gets nothing, a signed-in cookie from another site does nothing.
    expect((await fetch(ui, { headers: { host: "evil.example:80" } })).status).toBe(421);
    const signIn = await fetch(`${ui}/signin`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: ui, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: operator }),
    });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^fleet_session=[\w-]{32}; HttpOnly; SameSite=Strict; Path=\//);
    expect(cookie).not.toContain(operator);
    const session = cookie.split(";")[0]!;
    const crossSite = await fetch(`${ui}/api/messages`, {
      method: "POST",
      headers: { cookie: session, origin: "http://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ to: "fv-recv", body: "x" }),
    });
    expect(crossSite.status).toBe(403);
    const sameSite = await fetch(`${ui}/api/messages`, {
      method: "POST",
      headers: { cookie: session, origin: ui, "content-type": "application/json" },
      body: JSON.stringify({ to: "fv-recv", body: "from a script with the cookie" }),
    });
    expect(sameSite.status).toBe(200);
  });
});
