// Redraws the README's fleet view screenshots (docs/images/fleet.png, docs/images/fleet-agent.png) from a real relay
// and Debian's Chromium, with a few agents, tasks and messages made up for the picture.
//   bun scripts/fleet-screenshots.ts
import { join } from "node:path";
import { OPERATOR_PROFILE } from "../src/protocol/index.ts";
import { launchBrowser } from "../test/support/browser.ts";
import { startTestRelay } from "../test/support/relay.ts";

const IMAGES = join(import.meta.dir, "..", "docs", "images");

const t = await startTestRelay({ uiPort: 0 });
const browser = await launchBrowser();
try {
  const agent = (id: string, label: string, meta: Record<string, unknown>, status: string) =>
    t.openBus({ agentId: id, label, meta }).then((bus) => {
      bus.send({ type: "status", agentStatus: "busy", semanticStatus: status, ready: true, meta });
      return bus;
    });
  const usage = (inputTokens: number, outputTokens: number, costUsd: number, maxCostUsd?: number) => ({
    inputTokens,
    outputTokens,
    costUsd,
    ...(maxCostUsd ? { maxCostUsd } : {}),
  });
  await agent(
    "lead",
    "planner",
    {
      provider: "claude",
      model: "claude-opus-4-8",
      restarts: 0,
      usage: usage(812_400, 20_110, 4.0712, 20),
      contextUsage: { usedTokens: 212_000, maxTokens: 1_000_000 },
      activeWork: [{ kind: "task", id: "3" }],
    },
    "busy",
  );
  await agent(
    "builder",
    "backend",
    {
      provider: "codex",
      model: "gpt-5.3-codex",
      restarts: 1,
      usage: usage(1_204_000, 41_300, 2.1121),
      contextUsage: { usedTokens: 96_000, maxTokens: 272_000 },
      conditionReason: "permission: Bash",
      pendingPermissions: [{ approvalId: "ap-7", tool: "Bash", detail: "npm run migrate -- --env staging" }],
    },
    "needs-input",
  );
  await agent(
    "reviewer",
    "review",
    { provider: "claude", model: "claude-sonnet-4-5", restarts: 0, usage: usage(120_500, 3_900, 0.4211) },
    "idle",
  );
  await agent(
    "tester",
    "qa",
    {
      provider: "codex",
      restarts: 0,
      usage: usage(2_400_000, 80_000, 5.0, 5),
      conditionReason: "budget",
    },
    "needs-input",
  );
  const boss = await t.mintToken("alice", OPERATOR_PROFILE);
  const lead = await t.mintToken("lead");
  const task = async (title: string, assignee: string, end?: Record<string, unknown>) => {
    const id = (await t.call(lead, "POST", "/v1/tasks", { title, assignee })).body.id as number;
    const as = await t.mintToken(assignee);
    await t.call(as, "POST", `/v1/tasks/${id}/status`, { agentId: assignee, status: "in_progress" });
    if (end) await t.call(as, "POST", `/v1/tasks/${id}/status`, { agentId: assignee, ...end });
  };
  await task("Split the parser", "builder", {
    status: "done",
    outcome: { status: "complete", durationMs: 251_000, usage: { costUsd: 0.82 } },
  });
  await task("Review the migration", "reviewer");
  await task("Run the load test", "tester", {
    status: "failed",
    outcome: { status: "failed", reason: "budget", durationMs: 610_000, usage: { costUsd: 5 } },
  });
  await t.call(lead, "POST", "/v1/tasks", { title: "Write the release notes" });
  const first = await t.call(lead, "POST", "/v1/messages", {
    to: "builder",
    body: "Migration ready for staging?",
  });
  await t.call(await t.mintToken("builder"), "POST", "/v1/messages", {
    to: "lead",
    body: "Yes, waiting for approval to run it.",
    replyTo: first.body.id,
  });

  const page = await (await browser.createBrowserContext()).newPage();
  await page.setViewport({ width: 1680, height: 760 });
  await page.goto(t.relay.uiUrl!);
  await page.type("#token", boss);
  await Promise.all([page.waitForNavigation(), page.click("#signin")]);
  await page.waitForSelector('[data-agent="tester"]');
  await page.screenshot({ path: join(IMAGES, "fleet.png") });
  await page.click('[data-agent="builder"]');
  await page.waitForSelector(".permission");
  const pane = await page.$("#agent-pane");
  await pane!.screenshot({ path: join(IMAGES, "fleet-agent.png") });
  console.log(`wrote ${join(IMAGES, "fleet.png")} and fleet-agent.png`);
} finally {
  await browser.close();
  await t.close();
}
