// ReplicaCommands against an in-memory command feed: what reaches this relay's sessions, when, and only once.
import { expect, test } from "bun:test";
import type { Command } from "../../src/protocol/index.ts";
import { ReplicaCommands } from "../../src/relay/replica-commands.ts";
import type { CommandFeed, StoredCommand } from "../../src/relay/store/types.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { waitFor } from "../support/wait-for.ts";

class FakeFeed implements CommandFeed {
  rows: StoredCommand[] = [];
  notify = true;
  private created: ((c: { id: string; targetAgent: string }) => void) | undefined;

  /** Another relay creates a command for `targetAgent`. */
  create(id: string, targetAgent: string): void {
    this.rows.push({ command: { id, target: targetAgent, status: "pending" } as Command, targetAgent });
    if (this.notify) this.created?.({ id, targetAgent });
  }
  async pendingCommandsFor(agentIds: readonly string[]) {
    return this.rows.filter((r) => r.command.status === "pending" && agentIds.includes(r.targetAgent));
  }
  async listenForCommands(
    onCreated: (c: { id: string; targetAgent: string }) => void,
    onListening: () => void,
  ) {
    this.created = onCreated;
    onListening();
    return async () => {
      this.created = undefined;
    };
  }
}

async function setup(connected: string[]) {
  const feed = new FakeFeed();
  const clock = new ManualClock();
  const pushed: string[] = [];
  const commands = new ReplicaCommands({
    feed,
    commands: { get: async (id) => feed.rows.find((r) => r.command.id === id) },
    hub: {
      connectedInstances: () => connected.map((agentId) => ({ agentId })),
      hasSupervisor: () => false,
      publishCommand: (c, to) => pushed.push(`${c.id}->${to}`),
    },
    clock,
    logger: silentLogger(),
  });
  await commands.start();
  return { feed, clock, pushed, commands };
}

test("another relay's command is pushed on its notice, only to an agent with a session here, and once", async () => {
  const { feed, clock, pushed, commands } = await setup(["here"]);
  feed.create("c1", "here");
  feed.create("c2", "elsewhere");
  await waitFor(() => pushed.length === 1, { what: "c1 pushed" });
  await clock.advance(3_000);
  expect(pushed).toEqual(["c1->here"]);
  await commands.stop();
});

test("with the notice lost, the fallback read pushes the pending command once", async () => {
  const { feed, clock, pushed, commands } = await setup(["here"]);
  feed.notify = false;
  feed.create("c1", "here");
  await clock.advance(999);
  expect(pushed).toEqual([]);
  await clock.advance(1);
  await waitFor(() => pushed.length === 1, { what: "c1 pushed by the read" });
  await clock.advance(3_000);
  expect(pushed).toEqual(["c1->here"]);
  await commands.stop();
});

test("once stopped, nothing is read or pushed and no timer is armed", async () => {
  const { feed, clock, pushed, commands } = await setup(["here"]);
  await commands.stop();
  feed.create("c1", "here");
  await clock.advance(5_000);
  expect(pushed).toEqual([]);
  expect(clock.timerCount).toBe(0);
});
