// Bench 2: messages per second one runner sustains into a null adapter without loss, against the relay's own POST
// ceiling; plus CPU per message on each side, which says who the limit is even when the machine is busy.
import {
  blast,
  mintToken,
  QUICK,
  type RelayChild,
  type RelayChildOptions,
  ROOT_TOKEN,
  type Row,
  row,
  say,
  startRelayChild,
  until,
} from "./support/common.ts";
import { startNullRunner } from "./support/null-runner.ts";
import { cpuSeconds } from "./support/proc.ts";

/** CPU seconds used by this process and by the relay while `fn` runs. */
async function withCpu<T>(relay: RelayChild, fn: () => Promise<T>) {
  const relay0 = cpuSeconds(relay.proc.proc.pid);
  const self0 = process.cpuUsage();
  const result = await fn();
  const self = process.cpuUsage(self0);
  return { result, selfS: (self.user + self.system) / 1e6, relayS: cpuSeconds(relay.proc.proc.pid) - relay0 };
}

async function unreadCount(url: string, agentId: string): Promise<number> {
  const res = await fetch(`${url}/v1/agents/${agentId}/unread?limit=1000`, {
    headers: { authorization: `Bearer ${ROOT_TOKEN}` },
  });
  return ((await res.json()) as { messages: unknown[] }).messages.length;
}

/** `store`: where the relay keeps its state; `viaReplica`: messages are POSTed to a second relay on the same database. */
export async function throughputBench(store: RelayChildOptions = {}, viaReplica = false): Promise<Row[]> {
  const n = QUICK ? 2_000 : 20_000;
  const nClaim = QUICK ? 1_000 : 5_000;
  const relay = await startRelayChild(store);
  const sender = viaReplica ? await startRelayChild(store) : relay;
  try {
    // Floor: the relay's own ceiling — the same POST loop with nobody listening.
    await blast(sender.url, 500, (i) => ({ to: "nobody", body: `warm-${i}` }));
    const ceil = await withCpu(relay, () =>
      blast(sender.url, n, (i) => ({ to: "nobody", body: `ceil-${i}` })),
    );
    const ceiling = (n * 1000) / (ceil.result.end - ceil.result.start);
    const senderUs = (ceil.selfS / n) * 1e6;
    const relayPostUs = (ceil.relayS / n) * 1e6;

    const measure = async (claimable: boolean, count: number) => {
      const agentId = claimable ? "tp-claim" : "tp-plain";
      const r = await startNullRunner({
        relayUrl: relay.url,
        token: await mintToken(relay.url, agentId),
        agentId,
      });
      try {
        const run = await withCpu(relay, async () => {
          const sent = await blast(sender.url, count, (i) => ({ to: agentId, body: `tp-${i}`, claimable }));
          const last = await until(
            () => r.adapter.deliveries.length >= count && r.adapter.deliveries[count - 1]!.at,
            120_000,
            `${count} deliveries`,
          );
          await r.runner.queue.idle();
          return { sent, last };
        });
        const { sent, last } = run.result;
        const rate = (count * 1000) / (last - sent.start);
        // This process is sender + runner: the runner's share is what the sender alone did not use.
        const runnerUs = Math.max(0, (run.selfS / count) * 1e6 - senderUs);
        const relayUs = (run.relayS / count) * 1e6;
        const unique = new Set(r.adapter.deliveries.map((d) => d.id)).size;
        const unread = await until(
          async () => ((await unreadCount(relay.url, agentId)) === 0 ? "0" : false),
          30_000,
          "unread to drain",
        ).catch(() => "some");
        say(
          `throughput ${claimable ? "claimable" : "non-claimable"}: ${count} sent, ${unique} delivered unique ` +
            `(${r.adapter.deliveries.length - unique} duplicates), unread left ${unread}; ${rate.toFixed(0)}/s; ` +
            `CPU per message: runner ${runnerUs.toFixed(0)} µs, relay ${relayUs.toFixed(0)} µs ` +
            `(relay per bare POST ${relayPostUs.toFixed(0)} µs)`,
        );
        if (unique !== count) throw new Error(`throughput: lost ${count - unique} of ${count}`);
        return { rate, runnerUs, relayUs };
      } finally {
        await r.stop();
      }
    };

    const plain = await measure(false, n);
    const claim = await measure(true, nClaim);
    say(`throughput: relay ceiling ${ceiling.toFixed(0)}/s`);
    const cpuNote = "CPU time per delivered message; floor: the relay's CPU per bare POST";
    return [
      row("throughput non-claimable", plain.rate, "msg/s", ceiling, {
        target: "≥ 5,000/s",
        met: plain.rate >= 5_000,
      }),
      row("throughput claimable", claim.rate, "msg/s", ceiling, {
        target: "≥ 1,000/s",
        met: claim.rate >= 1_000,
      }),
      row("runner CPU per non-claimable message", plain.runnerUs, "µs", relayPostUs, { note: cpuNote }),
      row("relay CPU per non-claimable message", plain.relayUs, "µs", relayPostUs, { note: cpuNote }),
      row("runner CPU per claimable message", claim.runnerUs, "µs", relayPostUs, { note: cpuNote }),
      row("relay CPU per claimable message", claim.relayUs, "µs", relayPostUs, { note: cpuNote }),
    ];
  } finally {
    await relay.kill();
    if (sender !== relay) await sender.kill();
  }
}

if (import.meta.main) {
  for (const r of await throughputBench()) say(JSON.stringify(r));
}
