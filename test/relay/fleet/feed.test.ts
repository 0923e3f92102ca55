// FleetFeed's limits on its own: streams beyond the cap are refused, a page that stops reading is cut off, and
// with no page open nothing is read from the store.
import { describe, expect, test } from "bun:test";
import { FleetFeed } from "../../../src/relay/fleet/feed.ts";
import { openStore } from "../../../src/relay/store/index.ts";
import { ManualClock } from "../../support/manual-clock.ts";

function setup(o: { maxStreams?: number; maxBacklog?: number } = {}) {
  const store = openStore(":memory:");
  let reads = 0;
  const agents = store.agents;
  const counting = new Proxy(agents, {
    get: (target, key) => {
      if (key === "get" || key === "list") reads++;
      const v = Reflect.get(target, key);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const feed = new FleetFeed({ store: { ...store, agents: counting }, clock: new ManualClock(), ...o });
  return { feed, store, reads: () => reads };
}

const decode = (chunk: Uint8Array | undefined) => new TextDecoder().decode(chunk);

describe("FleetFeed", () => {
  test("the first event is the snapshot; changes follow in order", async () => {
    const { feed } = setup();
    const reader = feed.open()!.getReader();
    expect(decode((await reader.read()).value)).toStartWith("event: snapshot\ndata: ");
    feed.receipt(7, { agentId: "a", state: "seen", at: 1 });
    feed.agentChanged("gone");
    expect(decode((await reader.read()).value)).toBe(
      'event: receipt\ndata: {"type":"receipt","messageId":7,"receipt":{"agentId":"a","state":"seen","at":1}}\n\n',
    );
    expect(decode((await reader.read()).value)).toBe(
      'event: agent.removed\ndata: {"type":"agent.removed","id":"gone"}\n\n',
    );
    await reader.cancel();
    expect(feed.openStreams).toBe(0);
  });

  test("no page open: a change reads nothing from the store", () => {
    const s = setup();
    s.feed.agentChanged("x");
    let taskReads = 0;
    s.feed.task(() => {
      taskReads++;
      return undefined;
    });
    expect(s.reads()).toBe(0);
    expect(taskReads).toBe(0);
  });

  test("beyond maxStreams a page is refused; a page that stops reading is closed at maxBacklog", async () => {
    const { feed } = setup({ maxStreams: 2, maxBacklog: 5 });
    const reading = feed.open()!.getReader();
    const stuck = feed.open()!.getReader();
    expect(feed.open()).toBeUndefined();
    await reading.read();
    for (let i = 0; i < 10; i++) {
      feed.receipt(i, { agentId: "a", state: "delivered", at: i });
      await reading.read();
    }
    expect(feed.openStreams).toBe(1);
    await expect(
      (async () => {
        for (;;) if ((await stuck.read()).done) return;
      })(),
    ).rejects.toThrow("fleet stream too slow");
    expect(feed.open()).toBeDefined();
  });
});
