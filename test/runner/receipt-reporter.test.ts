// ReceiptReporter on a ManualClock against the real embedded relay: delivery states become receipts in one call per
// batch; a relay that refuses the call gets the same receipts again later, the furthest state of each kept.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Message } from "../../src/protocol/index.ts";
import { RelayHttpClient } from "../../src/relay-client/index.ts";
import { DeliveryRecords } from "../../src/runner/delivery-records.ts";
import { ReceiptReporter, reportReceipts } from "../../src/runner/receipt-reporter.ts";
import { WorkTracker } from "../../src/runner/work-tracker.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

let t: TestRelay;
let http: RelayHttpClient;
beforeAll(async () => {
  t = await startTestRelay();
  http = new RelayHttpClient({ relayUrl: t.url, token: await t.mintToken("rr-agent") });
});
afterAll(async () => {
  await http.close();
  await t.close();
});

async function sendTo(to: string, claimable = false): Promise<Message> {
  return (await t.call(t.rootToken, "POST", "/v1/messages", { to, body: "x", claimable })).body as Message;
}
const stateOf = async (id: number, agent = "rr-agent") =>
  (
    (await t.call(t.rootToken, "GET", `/v1/messages/${id}`)).body.receipts as {
      agentId: string;
      state: string;
    }[]
  ).find((r) => r.agentId === agent)?.state;

type Report = (agentId: string, receipts: { messageId: number; state: string }[]) => Promise<unknown>;
const real: Report = (agentId, receipts) => reportReceipts(http, agentId, receipts as never);

/** The reporter talks to the real relay through `report`; each call's size is counted. */
function setup(report: Report = real) {
  const clock = new ManualClock();
  const calls: number[] = [];
  const counted = {
    call: ((
      _m: string,
      _p: string,
      _s: unknown,
      body: { receipts: { messageId: number; state: string }[] },
    ) => {
      calls.push(body.receipts.length);
      return report("rr-agent", body.receipts);
    }) as unknown as RelayHttpClient["call"],
  };
  const reporter = new ReceiptReporter({
    agentId: "rr-agent",
    relay: counted,
    clock,
    logger: silentLogger(),
  });
  const records = new DeliveryRecords({
    clock,
    work: new WorkTracker({ clock }),
    onAmbiguous: () => {},
    onState: (id, state, midTurn) => reporter.note(id, state, midTurn),
  });
  return { clock, reporter, records, calls };
}

describe("ReceiptReporter", () => {
  test("a batch's transitions reach the relay in one call; a confirmed message is seen once the model answers", async () => {
    const s = setup();
    const messages = [await sendTo("rr-agent"), await sendTo("rr-agent")];
    for (const m of messages) s.records.add(m);
    const taken = s.records.takeNew(10);
    for (const r of taken) {
      r.item = { message: r.message, attachmentPaths: [] };
      s.records.handedOver(r, "written", s.records.epoch, true);
    }
    await s.clock.advance(25);
    await waitFor(async () => (await stateOf(messages[1]!.id)) === "delivered", { what: "delivered" });
    expect(await stateOf(messages[0]!.id)).toBe("delivered");
    expect(s.calls).toEqual([2]);
    // Confirmed: in the model's input, not read yet — still delivered, and nothing to report.
    s.records.confirmed(messages[0]!.id);
    await s.clock.advance(25);
    expect(s.calls).toEqual([2]);
    s.reporter.modelAnswered();
    await s.clock.advance(25);
    await waitFor(async () => (await stateOf(messages[0]!.id)) === "seen", { what: "seen" });
    expect(await stateOf(messages[1]!.id)).toBe("delivered");
    expect(s.calls).toEqual([2, 1]);
    // Nothing is waiting any more: another answer reports nothing.
    s.reporter.modelAnswered();
    await s.clock.advance(25);
    expect(s.calls).toEqual([2, 1]);
  });

  test("seen tells the relay whether the model got the message mid-turn or at a turn boundary", async () => {
    const s = setup();
    const [mid, boundary] = [await sendTo("rr-agent"), await sendTo("rr-agent")];
    for (const m of [mid, boundary]) s.records.add(m);
    for (const r of s.records.takeNew(10)) {
      r.item = { message: r.message, attachmentPaths: [] };
      s.records.handedOver(r, "written", s.records.epoch, true);
    }
    s.records.confirmed(mid.id, true);
    s.records.confirmed(boundary.id, false);
    s.reporter.modelAnswered();
    await s.clock.advance(25);
    const receipt = async (id: number) =>
      (await t.call(t.rootToken, "GET", `/v1/messages/${id}`)).body.receipts[0] as { midTurn?: boolean };
    await waitFor(async () => (await receipt(boundary.id)).midTurn === false, { what: "seen at a boundary" });
    expect((await receipt(mid.id)).midTurn).toBe(true);
  });

  test("a claimable message is reported claimed only once its relay claim is won", async () => {
    const s = setup();
    const m = await sendTo("rr-agent", true);
    s.records.add(m);
    const [r] = s.records.takeNew(1);
    await s.clock.advance(25);
    expect(s.calls).toEqual([]);
    r!.claimed = true;
    s.records.move(r!, "claimed");
    await s.clock.advance(25);
    await waitFor(async () => (await stateOf(m.id)) === "claimed", { what: "claimed" });
  });

  test("a failed call is retried after a backoff with the furthest state of each message; flush sends what is left", async () => {
    let refuse = true;
    const flaky: Report = (agentId, receipts) =>
      refuse ? Promise.reject(new Error("relay down")) : real(agentId, receipts);
    const s = setup(flaky);
    const m = await sendTo("rr-agent");
    s.reporter.note(m.id, "written");
    await s.clock.advance(25);
    await waitFor(() => s.calls.length === 1, { what: "the first, refused call" });
    // Noted while the call failed: the later state wins over the one that came back.
    s.reporter.note(m.id, "confirmed");
    s.reporter.modelAnswered();
    refuse = false;
    await s.clock.advance(499);
    expect(s.calls.length).toBe(1);
    await s.clock.advance(1);
    await waitFor(async () => (await stateOf(m.id)) === "seen", { what: "seen after the retry" });
    expect(s.calls).toEqual([1, 1]);
    const n = await sendTo("rr-agent");
    s.reporter.note(n.id, "ambiguous");
    await s.reporter.flush();
    expect(await stateOf(n.id)).toBe("ambiguous");
    s.reporter.note(n.id, "confirmed");
    s.reporter.modelAnswered();
    await s.clock.advance(1_000);
    expect(s.calls).toEqual([1, 1, 1]);
  });
});
