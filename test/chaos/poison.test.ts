// Chaos: poison messages (a task that does not exist, is done, or is cancelled before delivery; a claimable one;
// a broadcast one) mixed into a stream of legitimate messages to 3 runners, before they start and while they run.

import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NullRunner } from "../../bench/support/null-runner.ts";
import { RelayHttpClient } from "../../src/relay-client/index.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";
import { chaosRunner, duplicates, missing, stopChaosRunners } from "./support.ts";

let relay: TestRelay | undefined;
let root: RelayHttpClient | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await stopChaosRunners();
  await root?.close();
  await relay?.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const AGENTS = ["poison-1", "poison-2", "poison-3"] as const;
const ROUNDS = 20;

describe("poison messages", () => {
  test(`${ROUNDS * 2} rounds of legit messages (direct and broadcast) with 5 kinds of poison between them, before and after 3 runners start: every legit message delivered exactly once, no poison delivered, 0 stuck unread, every poison refused by each recipient with its reason`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "chaos-poison-"));
    dirs.push(dir);
    const dbPath = join(dir, "relay.db");
    relay = await startTestRelay({ dbPath });
    root = new RelayHttpClient({ relayUrl: relay.url, token: relay.rootToken });
    const r = root;
    const done = await r.createTask({ title: "already done" });
    await r.setTaskStatus(done.id, { status: "done", agentId: "boss" });
    const toCancel: number[] = [];

    // An attachment row written by an older relay whose stored mime type is not a valid header value.
    const legacy = new Database(dbPath);
    legacy
      .query(
        "INSERT INTO attachments (id, name, mime_type, size, data, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run("legacy-mime", "notes.txt", "text/\u2603\r\n", 5, new TextEncoder().encode("notes"), "root", 1);
    legacy.close();

    // The agents registered once before (a team restarting): group messages sent while their runners are down
    // are theirs too. (An agent id never registered before gets only group messages sent after it first is.)
    for (const agentId of AGENTS) {
      const first = await relay.openBus({ agentId, componentId: `${agentId}-earlier-run`, tags: ["crew"] });
      await first.close();
    }

    const legit = new Map<string, number[]>(AGENTS.map((a) => [a, []]));
    const poison = new Map<number, string[]>();
    const sendLegit = async (to: string, extra: { attachmentIds?: string[] } = {}) => {
      const m = await r.sendMessage({ from: "boss", to, body: `legit to ${to}`, ...extra });
      for (const a of AGENTS) if (to === a || to === "broadcast") legit.get(a)!.push(m.id);
    };
    const sendPoison = async (to: string, taskId: number, claimable = false) => {
      const m = await r.sendMessage({ from: "boss", to, body: "poison", claimable, payload: { taskId } });
      poison.set(m.id, to.startsWith("poison-") ? [to] : [...AGENTS]);
    };
    const round = async (i: number, live: boolean) => {
      const target = AGENTS[i % AGENTS.length]!;
      await sendLegit(target);
      await sendPoison(target, 900_000 + i); // a task that does not exist
      await sendLegit("broadcast");
      await sendPoison(target, done.id); // a finished task
      // Cancelled before its message is delivered: after sending (backlog) or just before (live).
      const task = await r.createTask({ title: `cancelled before delivery ${i}` });
      if (live) await r.setTaskStatus(task.id, { status: "cancelled", agentId: "boss" });
      else toCancel.push(task.id);
      await sendPoison(target, task.id);
      await sendLegit(AGENTS[(i + 1) % AGENTS.length]!);
      if (i % 5 === 0) {
        await sendPoison("broadcast", 800_000 + i);
        await sendPoison("tag:crew", 700_000 + i, true);
        await sendLegit("broadcast", { attachmentIds: ["legacy-mime"] });
      }
    };

    for (let i = 0; i < ROUNDS; i++) await round(i, false);
    for (const id of toCancel.splice(0)) await r.setTaskStatus(id, { status: "cancelled", agentId: "boss" });
    const runners = new Map<string, NullRunner>();
    for (const agentId of AGENTS) {
      const token = await relay.mintToken(agentId);
      runners.set(
        agentId,
        await chaosRunner({
          relayUrl: relay.url,
          token,
          agentId,
          tags: ["crew"],
          // A claimable poison released by one agent is listed to the next at its unread read.
          timers: { livenessMs: 500 },
        }),
      );
    }
    for (let i = ROUNDS; i < ROUNDS * 2; i++) await round(i, true);

    const refusedBy = async (id: number) =>
      ((await r.getMessage(id)).receipts ?? []).filter((x) => x.state === "refused").map((x) => x.agentId);
    await waitFor(
      async () => {
        for (const [id, recipients] of poison)
          if ((await refusedBy(id)).length < recipients.length) return false;
        for (const a of AGENTS)
          if (missing(legit.get(a)!, runners.get(a)!.adapter.deliveries).length) return false;
        return true;
      },
      { timeoutMs: 20_000, what: "every legit message delivered and every poison refused" },
    );

    const poisonIds = new Set(poison.keys());
    const figures = AGENTS.map((a) => {
      const deliveries = runners.get(a)!.adapter.deliveries;
      return {
        agent: a,
        legitMissing: missing(legit.get(a)!, deliveries).length,
        poisonDelivered: deliveries.filter((d) => poisonIds.has(d.id)).length,
        duplicated: duplicates(deliveries).length,
      };
    });
    const stuck: Record<string, number> = {};
    for (const a of AGENTS) stuck[a] = (await r.getUnread(a)).length;
    expect({ figures, stuck }).toEqual({
      figures: AGENTS.map((agent) => ({ agent, legitMissing: 0, poisonDelivered: 0, duplicated: 0 })),
      stuck: Object.fromEntries(AGENTS.map((a) => [a, 0])),
    });
    // The legacy attachment arrived with every broadcast that carries it.
    const withAttachment = runners
      .get("poison-1")!
      .adapter.deliveries.filter((d) => d.attachmentPaths.length);
    expect(withAttachment.length).toBe((ROUNDS * 2) / 5);
    for (const [id, recipients] of poison) {
      const receipts = (await r.getMessage(id)).receipts ?? [];
      expect(receipts.map((x) => x.agentId).sort()).toEqual([...recipients].sort());
      for (const x of receipts) expect(x.reason).toMatch(/^task \d+ cannot be started: /);
    }
    console.log(
      `poison: ${[...legit.values()].reduce((n, ids) => n + ids.length, 0)} legit deliveries, ${poison.size} poison messages ` +
        `(${[...poison.values()].reduce((n, x) => n + x.length, 0)} refusals); legit missing 0, stuck 0`,
    );
  });
});
